import { createSimClock } from '../clock.ts';
import { layoutPrompt } from './prompt-blocks.ts';
import { createPromptCache, type PromptCache } from './prompt-cache.ts';
import { requestOf } from '../../test/fixtures/requests.ts';

const LONG = 'x'.repeat(8_000); // 2,000 tokens at 4 characters a token

let wall = 0;
let cache: PromptCache;
beforeEach(() => {
  wall = 1_700_000_000_000;
  cache = createPromptCache({ clock: createSimClock(() => wall), minTokens: 1024 });
});

const usageOf = (body: Record<string, unknown>, model = 'm', commit = true) => {
  const plan = cache.plan(model, layoutPrompt(requestOf(body), 4));
  if (commit) plan.commit();
  return plan.usage;
};

const cachedSystem = (question: string, ttl?: '1h') => ({
  system: [
    {
      type: 'text',
      text: LONG,
      cache_control: ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl },
    },
  ],
  messages: [{ role: 'user', content: question }],
});

describe('prompt cache', () => {
  it('without breakpoints nothing is cached', () => {
    expect(usageOf({ messages: [{ role: 'user', content: LONG }] })).toEqual({
      readTokens: 0,
      creation5mTokens: 0,
      creation1hTokens: 0,
      uncachedTokens: 2003,
    });
    expect(cache.size()).toBe(0);
  });

  it('writes, then reads the same prefix; the rest is uncached input', () => {
    expect(usageOf(cachedSystem('q1'))).toEqual({
      readTokens: 0,
      creation5mTokens: 2000,
      creation1hTokens: 0,
      uncachedTokens: 4,
    });
    expect(usageOf(cachedSystem('question two'))).toEqual({
      readTokens: 2000,
      creation5mTokens: 0,
      creation1hTokens: 0,
      uncachedTokens: 6,
    });
  });

  it('a plan that is not committed writes nothing', () => {
    usageOf(cachedSystem('q1'), 'm', false);
    expect(usageOf(cachedSystem('q1')).readTokens).toBe(0);
  });

  it('entries expire after their TTL; hits refresh them', () => {
    usageOf(cachedSystem('q'));
    wall += 299_000;
    expect(usageOf(cachedSystem('q')).readTokens).toBe(2000);
    wall += 299_000;
    expect(usageOf(cachedSystem('q')).readTokens).toBe(2000);
    wall += 300_001;
    expect(usageOf(cachedSystem('q')).readTokens).toBe(0);
  });

  it('a 1h breakpoint lives an hour and counts as 1h creation', () => {
    expect(usageOf(cachedSystem('q', '1h')).creation1hTokens).toBe(2000);
    wall += 59 * 60_000;
    expect(usageOf(cachedSystem('q', '1h')).readTokens).toBe(2000);
  });

  it('prefixes below the minimum are not written', () => {
    const short = {
      system: [{ type: 'text', text: 'x'.repeat(400), cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'q' }],
    };
    expect(usageOf(short).creation5mTokens).toBe(0);
    expect(cache.size()).toBe(0);
  });

  it('entries are per model', () => {
    usageOf(cachedSystem('q'), 'a');
    expect(usageOf(cachedSystem('q'), 'b').readTokens).toBe(0);
  });

  it('finds an earlier prefix within 20 blocks before a later breakpoint', () => {
    usageOf(cachedSystem('q'));
    const grown = {
      system: [{ type: 'text', text: LONG }],
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: 'a' },
        {
          role: 'user',
          content: [{ type: 'text', text: 'more', cache_control: { type: 'ephemeral' } }],
        },
      ],
    };
    const usage = usageOf(grown);
    expect(usage.readTokens).toBe(2000);
    expect(usage.creation5mTokens).toBeGreaterThan(0);
    expect(usage.uncachedTokens).toBe(0);
  });

  it('a changed prefix misses', () => {
    usageOf(cachedSystem('q'));
    const changed = {
      ...cachedSystem('q'),
      system: [{ type: 'text', text: `${LONG}!`, cache_control: { type: 'ephemeral' } }],
    };
    expect(usageOf(changed).readTokens).toBe(0);
  });

  it('keeps at most maxEntries, dropping the least recently used', () => {
    cache = createPromptCache({ clock: createSimClock(() => wall), minTokens: 1, maxEntries: 2 });
    usageOf(cachedSystem('a'), 'm1');
    usageOf(cachedSystem('a'), 'm2');
    usageOf(cachedSystem('a'), 'm1'); // hit: m1 becomes most recent
    usageOf(cachedSystem('a'), 'm3'); // evicts m2
    expect(cache.size()).toBe(2);
    expect(usageOf(cachedSystem('a'), 'm1', false).readTokens).toBe(2000);
    expect(usageOf(cachedSystem('a'), 'm2', false).readTokens).toBe(0);
  });
});
