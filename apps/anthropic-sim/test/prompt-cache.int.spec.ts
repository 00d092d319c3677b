/**
 * Prompt caching as usage reports it: a `cache_control` prefix is written on first use
 * (`cache_creation_input_tokens`), read on repeats (`cache_read_input_tokens`) until its TTL
 * passes on the sim's clock (5 minutes, or 1 hour with `ttl: "1h"`), and hits refresh the TTL.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { MODEL, startHarness, type Harness } from './sim-harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ SIM_CACHE_MIN_TOKENS: '1024' });
});
afterEach(async () => {
  await h.close();
});

// ~2,500 tokens of system prompt: above the minimum cacheable length.
const longSystem = 'You are a careful assistant. '.repeat(350);

const cached = (
  question: string,
  ttl?: '5m' | '1h',
): Anthropic.MessageCreateParamsNonStreaming => ({
  model: MODEL,
  max_tokens: 100,
  system: [
    {
      type: 'text',
      text: longSystem,
      cache_control: ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl },
    },
  ],
  messages: [{ role: 'user', content: question }],
});

const advance = (seconds: number) => h.admin('POST', '/_sim/clock/advance', { seconds });

describe('prompt caching', () => {
  it('writes the prefix on first use and reads it on a repeat', async () => {
    const client = h.client();
    const first = await client.messages.create(cached('First question?'));
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(2000);
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(first.usage.cache_creation).toEqual({
      ephemeral_5m_input_tokens: first.usage.cache_creation_input_tokens,
      ephemeral_1h_input_tokens: 0,
    });

    const second = await client.messages.create(cached('Another question?'));
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(second.usage.cache_creation_input_tokens).toBe(0);
    // The uncached rest is the new question only.
    expect(second.usage.input_tokens).toBeLessThan(20);
  });

  it('the entry expires after 5 minutes without a hit; each hit refreshes it', async () => {
    const client = h.client();
    await client.messages.create(cached('q1'));
    await advance(4 * 60);
    expect(
      (await client.messages.create(cached('q2'))).usage.cache_read_input_tokens,
    ).toBeGreaterThan(0);
    await advance(4 * 60);
    expect(
      (await client.messages.create(cached('q3'))).usage.cache_read_input_tokens,
    ).toBeGreaterThan(0);
    await advance(5 * 60 + 1);
    const expired = await client.messages.create(cached('q4'));
    expect(expired.usage.cache_read_input_tokens).toBe(0);
    expect(expired.usage.cache_creation_input_tokens).toBeGreaterThan(0);
  });

  it('ttl "1h" lives for an hour and is reported as 1h cache creation', async () => {
    const client = h.client();
    const first = await client.messages.create(cached('q1', '1h'));
    expect(first.usage.cache_creation?.ephemeral_1h_input_tokens).toBe(
      first.usage.cache_creation_input_tokens,
    );
    await advance(30 * 60);
    expect(
      (await client.messages.create(cached('q2', '1h'))).usage.cache_read_input_tokens,
    ).toBeGreaterThan(0);
  });

  it('a prefix shorter than the minimum is not cached', async () => {
    const client = h.client();
    const short: Anthropic.MessageCreateParamsNonStreaming = {
      model: MODEL,
      max_tokens: 50,
      system: [
        { type: 'text', text: 'Short system prompt.', cache_control: { type: 'ephemeral' } },
      ],
      messages: [{ role: 'user', content: 'hi' }],
    };
    await client.messages.create(short);
    const again = await client.messages.create(short);
    expect(again.usage.cache_creation_input_tokens).toBe(0);
    expect(again.usage.cache_read_input_tokens).toBe(0);
  });

  it('a growing conversation reads the earlier breakpoint and writes the new one', async () => {
    const client = h.client();
    const turn1: Anthropic.MessageParam[] = [
      {
        role: 'user',
        content: [{ type: 'text', text: longSystem, cache_control: { type: 'ephemeral' } }],
      },
    ];
    const r1 = await client.messages.create({ model: MODEL, max_tokens: 50, messages: turn1 });
    const turn2: Anthropic.MessageParam[] = [
      { role: 'user', content: [{ type: 'text', text: longSystem }] },
      { role: 'assistant', content: r1.content },
      {
        role: 'user',
        content: [{ type: 'text', text: 'And more?', cache_control: { type: 'ephemeral' } }],
      },
    ];
    const r2 = await client.messages.create({ model: MODEL, max_tokens: 50, messages: turn2 });
    expect(r2.usage.cache_read_input_tokens).toBe(r1.usage.cache_creation_input_tokens);
    expect(r2.usage.cache_creation_input_tokens).toBeGreaterThan(0);
  });

  it('top-level cache_control caches up to the last block; the cache is per model', async () => {
    const client = h.client();
    const body = {
      model: MODEL,
      max_tokens: 50,
      cache_control: { type: 'ephemeral' as const },
      messages: [{ role: 'user' as const, content: longSystem }],
    };
    await client.messages.create(body);
    expect((await client.messages.create(body)).usage.cache_read_input_tokens).toBeGreaterThan(
      2000,
    );
    const otherModel = await client.messages.create({ ...body, model: 'claude-haiku-4-5' });
    expect(otherModel.usage.cache_read_input_tokens).toBe(0);
  });

  it('streams report the same cache usage in message_start and message_delta', async () => {
    const client = h.client();
    await client.messages.create(cached('warm'));
    const final = await client.messages.stream(cached('streamed')).finalMessage();
    expect(final.usage.cache_read_input_tokens).toBeGreaterThan(2000);
  });
});
