import { createRateLimiter, LimiterClosedError, type RateLimiterOptions } from './rate-limiter.ts';

/** A limiter on Jest's fake clock (Date.now included): time moves only when the test says so. */
function setup(overrides: Partial<RateLimiterOptions> = {}) {
  const limiter = createRateLimiter({
    defaults: { rpm: 600, itpm: 60_000, otpm: 6_000 },
    headroom: 1,
    requestBurstMs: 1_000,
    maxInFlight: 100,
    now: () => Date.now(),
    ...overrides,
  });
  const advance = async (ms: number) => {
    await jest.advanceTimersByTimeAsync(ms);
  };
  /** Token buckets start empty: create the models' buckets and let a minute fill them. */
  const fill = async (...models: string[]) => {
    for (const model of models) limiter.observe(model, new Headers());
    await advance(60_000);
  };
  return { limiter, advance, fill };
}

const settled = async <T>(p: Promise<T>) => {
  let done = false;
  void p.then(() => (done = true));
  await Promise.resolve();
  await Promise.resolve();
  return done;
};

describe('rate limiter', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('spaces requests at the per-minute rate instead of bursting a minute at once', async () => {
    const { limiter, advance } = setup(); // 600 rpm = 10/s, burst 1 s = 10
    const granted: number[] = [];
    for (let i = 0; i < 40; i += 1) {
      void limiter.acquire('m', { inputTokens: 1, maxTokens: 1 }).then((p) => {
        granted.push(i);
        p.release({ inputTokens: 1, outputTokens: 1 });
      });
    }
    await advance(0);
    expect(granted.length).toBeLessThanOrEqual(1); // starts with one request's worth
    await advance(1_000);
    expect(granted.length).toBeGreaterThanOrEqual(10);
    expect(granted.length).toBeLessThanOrEqual(12);
    await advance(2_000);
    expect(granted.length).toBeGreaterThanOrEqual(30);
    expect(granted.length).toBeLessThanOrEqual(32);
  });

  it('reserves max_tokens of output and refunds the unused part from usage', async () => {
    const { limiter, advance, fill } = setup({ defaults: { rpm: 0, itpm: 0, otpm: 6_000 } });
    await fill('m');
    const a = await limiter.acquire('m', { inputTokens: 0, maxTokens: 4_000 });
    const b = limiter.acquire('m', { inputTokens: 0, maxTokens: 4_000 });
    await advance(0);
    expect(await settled(b)).toBe(false); // 2,000 left, 4,000 needed
    a.release({ inputTokens: 0, outputTokens: 100 }); // 3,900 refunded
    await advance(0);
    expect(await settled(b)).toBe(true);
  });

  it('corrects the input estimate from usage (more used: taken; less: refunded)', async () => {
    const { limiter, advance, fill } = setup({ defaults: { rpm: 0, itpm: 1_000, otpm: 0 } });
    await fill('m');
    const a = await limiter.acquire('m', { inputTokens: 100, maxTokens: 1 });
    a.release({ inputTokens: 900, outputTokens: 0 }); // the estimate was 800 short
    const b = limiter.acquire('m', { inputTokens: 200, maxTokens: 1 });
    await advance(0);
    expect(await settled(b)).toBe(false); // 100 left
    await advance(7_000); // 1,000/min: ~117 more
    expect(await settled(b)).toBe(true);
  });

  it('caps calls in flight and admits the next one when a call finishes', async () => {
    const { limiter, advance } = setup({ defaults: { rpm: 0, itpm: 0, otpm: 0 }, maxInFlight: 2 });
    const a = await limiter.acquire('m', { inputTokens: 0, maxTokens: 1 });
    await limiter.acquire('m', { inputTokens: 0, maxTokens: 1 });
    const c = limiter.acquire('m', { inputTokens: 0, maxTokens: 1 });
    await advance(10);
    expect(limiter.inFlight).toBe(2);
    expect(limiter.waiting).toBe(1);
    a.release();
    await advance(0);
    expect(await settled(c)).toBe(true);
    expect(limiter.inFlight).toBe(2);
  });

  it('pauses all dispatch, for every model, for a 429 retry-after', async () => {
    const { limiter, advance } = setup({ defaults: { rpm: 0, itpm: 0, otpm: 0 } });
    limiter.pause(3_000);
    const a = limiter.acquire('m1', { inputTokens: 0, maxTokens: 1 });
    const b = limiter.acquire('m2', { inputTokens: 0, maxTokens: 1 });
    await advance(2_900);
    expect(await settled(a)).toBe(false);
    expect(await settled(b)).toBe(false);
    await advance(200);
    expect(await settled(a)).toBe(true);
    expect(await settled(b)).toBe(true);
  });

  it('adopts the limit and remaining the API reports in its headers', async () => {
    const { limiter, advance, fill } = setup({ defaults: { rpm: 0, itpm: 0, otpm: 100_000 } });
    await fill('m');
    limiter.observe(
      'm',
      new Headers({
        'anthropic-ratelimit-output-tokens-limit': '6000',
        'anthropic-ratelimit-output-tokens-remaining': '500',
      }),
    );
    const a = limiter.acquire('m', { inputTokens: 0, maxTokens: 1_000 });
    await advance(0);
    expect(await settled(a)).toBe(false); // 500 left of a 6,000/min limit: 5 s to 1,000
    await advance(4_000);
    expect(await settled(a)).toBe(false);
    await advance(1_100);
    expect(await settled(a)).toBe(true);
  });

  it('starts token buckets empty, so the first minute is not spent twice', async () => {
    const { limiter, advance } = setup({ defaults: { rpm: 0, itpm: 0, otpm: 6_000 } });
    const a = limiter.acquire('m', { inputTokens: 0, maxTokens: 1_000 });
    await advance(9_000);
    expect(await settled(a)).toBe(false);
    await advance(1_100); // 6,000/min: 1,000 after 10 s
    expect(await settled(a)).toBe(true);
  });

  it('rejects waiters and later acquires once closed', async () => {
    const { limiter } = setup({ defaults: { rpm: 0, itpm: 0, otpm: 0 }, maxInFlight: 1 });
    await limiter.acquire('m', { inputTokens: 0, maxTokens: 1 });
    const waiting = limiter.acquire('m', { inputTokens: 0, maxTokens: 1 });
    limiter.close('halted');
    await expect(waiting).rejects.toBeInstanceOf(LimiterClosedError);
    await expect(limiter.acquire('m', { inputTokens: 0, maxTokens: 1 })).rejects.toBeInstanceOf(
      LimiterClosedError,
    );
  });

  it('keeps models apart: one model out of tokens does not block another', async () => {
    const { limiter, advance, fill } = setup({
      defaults: { rpm: 0, itpm: 0, otpm: 1_000 },
      perModel: { big: { otpm: 10_000 } },
    });
    await fill('small', 'big');
    await limiter.acquire('small', { inputTokens: 0, maxTokens: 1_000 });
    const blocked = limiter.acquire('small', { inputTokens: 0, maxTokens: 1_000 });
    const other = limiter.acquire('big', { inputTokens: 0, maxTokens: 5_000 });
    await advance(0);
    expect(await settled(blocked)).toBe(false);
    expect(await settled(other)).toBe(true);
  });

  it('applies the headroom to every limit', async () => {
    const { limiter, advance, fill } = setup({
      defaults: { rpm: 0, itpm: 0, otpm: 1_000 },
      headroom: 0.5,
    });
    await fill('m');
    const a = limiter.acquire('m', { inputTokens: 0, maxTokens: 600 }); // capped at capacity 500
    await advance(0);
    expect(await settled(a)).toBe(true);
    const b = limiter.acquire('m', { inputTokens: 0, maxTokens: 100 });
    await advance(0);
    expect(await settled(b)).toBe(false);
  });
});
