/**
 * Rate limits at the configured levels: `anthropic-ratelimit-*` headers on every Messages answer,
 * 429 `rate_limit_error` with `retry-after` once a bucket is empty, per model, refilled
 * continuously (the sim's clock moves them too).
 */
import Anthropic, { type APIError } from '@anthropic-ai/sdk';
import { MODEL, startHarness, type Harness } from './sim-harness.ts';

let h: Harness;
afterEach(async () => {
  await h.close();
});

const params = (text = 'hi', maxTokens = 100): Anthropic.MessageCreateParamsNonStreaming => ({
  model: MODEL,
  max_tokens: maxTokens,
  messages: [{ role: 'user', content: text }],
});

describe('rate limits', () => {
  it('every answer carries the limit headers; remaining counts down', async () => {
    h = await startHarness({
      SIM_RATE_LIMIT_RPM: '50',
      // Small token limits refill slowly (3,000 a minute is 0.05 a millisecond): the tolerances
      // below then cover a first call of up to a second on a loaded machine.
      SIM_RATE_LIMIT_ITPM: '3000',
      SIM_RATE_LIMIT_OTPM: '800',
    });
    const client = h.client();
    const first = await client.messages.create(params('x'.repeat(400), 100)).withResponse();
    const second = await client.messages.create(params('x'.repeat(400), 100)).withResponse();
    const header = (r: Response, name: string) => r.headers.get(`anthropic-ratelimit-${name}`);
    expect(header(first.response, 'requests-limit')).toBe('50');
    expect(header(first.response, 'requests-remaining')).toBe('49');
    expect(header(second.response, 'requests-remaining')).toBe('48');
    expect(header(first.response, 'input-tokens-limit')).toBe('3000');
    // The buckets refill continuously: allow a few tokens.
    const inputLeft = Number(header(first.response, 'input-tokens-remaining'));
    expect(inputLeft).toBeGreaterThanOrEqual(3000 - first.data.usage.input_tokens);
    expect(inputLeft).toBeLessThan(3000 - first.data.usage.input_tokens + 50);
    expect(header(first.response, 'output-tokens-limit')).toBe('800');
    // The output reservation (max_tokens) is taken, the unused part refunded after the reply.
    const outputLeft = Number(header(first.response, 'output-tokens-remaining'));
    expect(outputLeft).toBeGreaterThanOrEqual(800 - 100);
    expect(outputLeft).toBeLessThan(800 - 100 + 20);
    expect(header(first.response, 'tokens-limit')).toMatch(/^(3000|800)$/);
    for (const name of ['requests', 'input-tokens', 'output-tokens', 'tokens']) {
      expect(Date.parse(header(first.response, `${name}-reset`) ?? '')).toBeGreaterThan(
        Date.now() - 1000,
      );
    }
  });

  it('the request after the per-minute limit is a 429 with retry-after; the SDK types it', async () => {
    h = await startHarness({ SIM_RATE_LIMIT_RPM: '5' });
    const client = h.client();
    for (let i = 0; i < 5; i++) await client.messages.create(params());
    const error = await client.messages.create(params()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    const e = error as APIError;
    expect(e.type).toBe('rate_limit_error');
    expect(e.apiMessage).toMatch(/5 requests per minute/);
    // One request refills in 60 s / 5 = 12 s.
    expect(Number(e.headers?.get('retry-after'))).toBe(12);
    expect(e.headers?.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(e.headers?.get('x-should-retry')).toBe('true');
  });

  it('input tokens per minute: a prompt larger than what is left is refused', async () => {
    h = await startHarness({ SIM_RATE_LIMIT_ITPM: '1000' });
    const client = h.client();
    await client.messages.create(params('x'.repeat(3000)));
    const error = await client.messages.create(params('x'.repeat(3000))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect((error as APIError).apiMessage).toMatch(/1000 input tokens per minute/);
  });

  it('output tokens per minute: max_tokens is reserved up front', async () => {
    h = await startHarness({ SIM_RATE_LIMIT_OTPM: '1000' });
    const client = h.client();
    const stream = client.messages.stream({ ...params('sim:output_tokens=10', 900) });
    await stream.finalMessage();
    // Each call reserves 900 and gives back the 890 it did not use: ~970 are left after three,
    // so a fourth reserving 995 does not fit.
    await client.messages.create(params('sim:output_tokens=10', 900));
    await client.messages.create(params('sim:output_tokens=10', 900));
    const error = await client.messages.create(params('a', 995)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
  });

  it('limits are per model, and SIM_RATE_LIMITS overrides one model', async () => {
    h = await startHarness({
      SIM_RATE_LIMIT_RPM: '100',
      SIM_RATE_LIMITS: JSON.stringify({ 'claude-haiku-4-5': { rpm: 1 } }),
    });
    const client = h.client();
    await client.messages.create({ ...params(), model: 'claude-haiku-4-5' });
    await expect(
      client.messages.create({ ...params(), model: 'claude-haiku-4-5' }),
    ).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    await expect(client.messages.create(params())).resolves.toMatchObject({ model: MODEL });
  });

  it('buckets refill continuously: the SDK retry after retry-after succeeds', async () => {
    h = await startHarness();
    // Limits can also be changed at run time.
    // 6 per minute: one request back every 10 s, so even a slow (loaded) machine sends the burst
    // of 7 before the bucket refills.
    await h.admin('PUT', '/_sim/rate-limits', { defaults: { rpm: 6 } });
    const client = h.client({ maxRetries: 0 });
    const burst = await Promise.allSettled(
      Array.from({ length: 7 }, () => client.messages.create(params())),
    );
    expect(burst.filter((r) => r.status === 'rejected')).toHaveLength(1);
    const started = Date.now();
    await h.client({ maxRetries: 2 }).messages.create(params());
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('advancing the sim clock refills the buckets', async () => {
    h = await startHarness({ SIM_RATE_LIMIT_RPM: '2' });
    const client = h.client();
    await client.messages.create(params());
    await client.messages.create(params());
    await expect(client.messages.create(params())).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    await h.admin('POST', '/_sim/clock/advance', { seconds: 60 });
    await expect(client.messages.create(params())).resolves.toMatchObject({ type: 'message' });
  });
});
