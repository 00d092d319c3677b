import { createSimClock } from '../clock.ts';
import { ApiError } from '../errors.ts';
import { createRateLimiter } from './rate-limiter.ts';

const setup = (defaults = { rpm: 60, itpm: 6_000, otpm: 600 }, perModel = {}) => {
  let wall = 1_700_000_000_000;
  const clock = createSimClock(() => wall);
  const limiter = createRateLimiter({ defaults, perModel }, clock);
  return { limiter, tick: (ms: number) => (wall += ms) };
};

const rejection = (fn: () => unknown): ApiError => {
  try {
    fn();
  } catch (error) {
    return error as ApiError;
  }
  throw new Error('expected a 429');
};

describe('rate limiter', () => {
  it('admits within every limit and counts requests, input and reserved output', () => {
    const { limiter } = setup();
    limiter.admit('m', 1_000, 100);
    const headers = limiter.headers('m');
    expect(headers).toMatchObject({
      'anthropic-ratelimit-requests-limit': '60',
      'anthropic-ratelimit-requests-remaining': '59',
      'anthropic-ratelimit-input-tokens-limit': '6000',
      'anthropic-ratelimit-input-tokens-remaining': '5000',
      'anthropic-ratelimit-output-tokens-limit': '600',
      'anthropic-ratelimit-output-tokens-remaining': '500',
    });
    expect(headers['anthropic-ratelimit-requests-reset']).toBe(
      new Date(1_700_000_000_000 + 1_000).toISOString(),
    );
  });

  it('tokens-* reports the tighter of the two token limits', () => {
    const { limiter } = setup();
    limiter.admit('m', 100, 300); // input 98% left, output 50% left
    expect(limiter.headers('m')['anthropic-ratelimit-tokens-limit']).toBe('600');
    expect(limiter.headers('m')['anthropic-ratelimit-tokens-remaining']).toBe('300');
  });

  it('settling refunds the unused output reservation', () => {
    const { limiter } = setup();
    const admission = limiter.admit('m', 10, 500);
    admission.settle(20);
    admission.settle(0); // only once
    expect(limiter.headers('m')['anthropic-ratelimit-output-tokens-remaining']).toBe('580');
  });

  it('a request over a limit is a 429 with retry-after in whole seconds, and takes nothing', () => {
    const { limiter, tick } = setup({ rpm: 2, itpm: 6_000, otpm: 600 });
    limiter.admit('m', 1, 1);
    limiter.admit('m', 1, 1);
    const error = rejection(() => limiter.admit('m', 1, 1));
    expect(error.status).toBe(429);
    expect(error.type).toBe('rate_limit_error');
    expect(error.headers['retry-after']).toBe('30');
    expect(error.headers['anthropic-ratelimit-requests-remaining']).toBe('0');
    expect(error.message).toMatch(/2 requests per minute for m/);
    expect(limiter.headers('m')['anthropic-ratelimit-input-tokens-remaining']).toBe('5998');
    tick(30_000);
    expect(() => limiter.admit('m', 1, 1)).not.toThrow();
  });

  it('names the limit that was hit', () => {
    const { limiter } = setup();
    limiter.admit('m', 1, 600);
    expect(rejection(() => limiter.admit('m', 1, 10)).message).toMatch(
      /600 output tokens per minute/,
    );
    const other = setup().limiter;
    other.admit('m', 6_000, 1);
    expect(rejection(() => other.admit('m', 3_000, 1)).message).toMatch(
      /6000 input tokens per minute/,
    );
  });

  it('a cost above a whole minute of capacity passes on a full bucket (leaving a debt)', () => {
    const { limiter } = setup();
    expect(() => limiter.admit('m', 10_000, 1)).not.toThrow();
    expect(limiter.headers('m')['anthropic-ratelimit-input-tokens-remaining']).toBe('0');
    expect(() => limiter.admit('m', 1, 1)).toThrow(ApiError);
  });

  it('models have separate buckets; overrides apply per model; 0 turns a limit off', () => {
    const { limiter } = setup({ rpm: 1, itpm: 0, otpm: 0 }, { big: { rpm: 100 } });
    limiter.admit('a', 1, 1);
    limiter.admit('b', 1, 1);
    expect(() => limiter.admit('a', 1, 1)).toThrow(ApiError);
    for (let i = 0; i < 50; i++) limiter.admit('big', 1_000_000, 1_000_000);
    expect(Object.keys(limiter.headers('a')).some((h) => h.includes('tokens'))).toBe(false);
  });

  it('configure replaces the limits with full buckets; reset restores the configured ones', () => {
    const { limiter } = setup({ rpm: 1, itpm: 0, otpm: 0 });
    limiter.admit('m', 1, 1);
    limiter.configure({ defaults: { rpm: 5, itpm: 0, otpm: 0 }, perModel: {} });
    expect(limiter.headers('m')['anthropic-ratelimit-requests-limit']).toBe('5');
    limiter.reset();
    expect(limiter.headers('m')['anthropic-ratelimit-requests-limit']).toBe('1');
    expect(limiter.headers('m')['anthropic-ratelimit-requests-remaining']).toBe('1');
  });
});
