import { rfc3339, type SimClock } from '../clock.ts';
import { ApiError } from '../errors.ts';
import { limitsFor, type ModelLimits, type RateLimitSettings } from './limits.schema.ts';
import { createTokenBucket, type TokenBucket } from './token-bucket.ts';

/**
 * Per-model rate limits: requests, input tokens and output tokens per minute, each a
 * continuously refilled bucket. A request is admitted when every bucket can cover it; otherwise
 * it is answered 429 `rate_limit_error` with `retry-after` (whole seconds, rounded up) and takes
 * nothing. Output tokens are reserved at `max_tokens` on admission and the unused part refunded
 * when the reply is done, as the API documents for its OTPM limit.
 */
export type LimitName = 'requests' | 'input-tokens' | 'output-tokens';

export interface Admission {
  /** Settles the output reservation with the tokens actually produced. */
  settle(outputTokens: number): void;
}

export interface RateLimiter {
  /** Admits a request or throws the API's 429. */
  admit(model: string, inputTokens: number, maxTokens: number): Admission;
  /** The `anthropic-ratelimit-*` headers for `model` now. */
  headers(model: string): Record<string, string>;
  /** New limits (buckets start full again). */
  configure(settings: RateLimitSettings): void;
  settings(): RateLimitSettings;
  reset(): void;
}

interface ModelBuckets {
  requests?: TokenBucket;
  input?: TokenBucket;
  output?: TokenBucket;
}

const MESSAGES: Record<LimitName, (limit: number, model: string) => string> = {
  requests: (limit, model) =>
    `This request would exceed the rate limit for your organization of ${limit} requests per minute for ${model}. For details, refer to: https://docs.claude.com/en/api/rate-limits.`,
  'input-tokens': (limit, model) =>
    `This request would exceed the rate limit for your organization of ${limit} input tokens per minute for ${model}. For details, refer to: https://docs.claude.com/en/api/rate-limits.`,
  'output-tokens': (limit, model) =>
    `This request would exceed the rate limit for your organization of ${limit} output tokens per minute for ${model}. For details, refer to: https://docs.claude.com/en/api/rate-limits.`,
};

export function createRateLimiter(initial: RateLimitSettings, clock: SimClock): RateLimiter {
  let current = initial;
  let byModel = new Map<string, ModelBuckets>();

  const bucketsOf = (model: string): ModelBuckets => {
    let buckets = byModel.get(model);
    if (buckets === undefined) {
      const limits: ModelLimits = limitsFor(current, model);
      const now = clock.now();
      buckets = {};
      if (limits.rpm > 0) buckets.requests = createTokenBucket(limits.rpm, now);
      if (limits.itpm > 0) buckets.input = createTokenBucket(limits.itpm, now);
      if (limits.otpm > 0) buckets.output = createTokenBucket(limits.otpm, now);
      byModel.set(model, buckets);
    }
    return buckets;
  };

  function headers(model: string): Record<string, string> {
    const buckets = bucketsOf(model);
    const now = clock.now();
    const out: Record<string, string> = {};
    const describe = (name: string, bucket: TokenBucket | undefined): void => {
      if (bucket === undefined) return;
      out[`anthropic-ratelimit-${name}-limit`] = String(bucket.capacity);
      out[`anthropic-ratelimit-${name}-remaining`] = String(
        Math.max(0, Math.floor(bucket.level(now))),
      );
      out[`anthropic-ratelimit-${name}-reset`] = rfc3339(bucket.fullAt(now));
    };
    describe('requests', buckets.requests);
    describe('input-tokens', buckets.input);
    describe('output-tokens', buckets.output);
    // `tokens-*`: the most restrictive of the two token limits right now.
    const tighter = [buckets.input, buckets.output]
      .filter((b): b is TokenBucket => b !== undefined)
      .sort((a, b) => a.level(now) / a.capacity - b.level(now) / b.capacity)[0];
    describe('tokens', tighter);
    return out;
  }

  function admit(model: string, inputTokens: number, maxTokens: number): Admission {
    const buckets = bucketsOf(model);
    const now = clock.now();
    const reservation = Math.min(maxTokens, buckets.output?.capacity ?? maxTokens);
    const checks: [LimitName, TokenBucket | undefined, number][] = [
      ['requests', buckets.requests, 1],
      ['input-tokens', buckets.input, inputTokens],
      ['output-tokens', buckets.output, reservation],
    ];
    let worst: { name: LimitName; bucket: TokenBucket; waitMs: number } | undefined;
    for (const [name, bucket, amount] of checks) {
      if (bucket === undefined) continue;
      const waitMs = bucket.waitMs(amount, now);
      if (waitMs > 0 && (worst === undefined || waitMs > worst.waitMs))
        worst = { name, bucket, waitMs };
    }
    if (worst !== undefined) {
      throw new ApiError(429, MESSAGES[worst.name](worst.bucket.capacity, model), {
        headers: {
          ...headers(model),
          'retry-after': String(Math.max(1, Math.ceil(worst.waitMs / 1000))),
        },
      });
    }
    buckets.requests?.take(1, now);
    buckets.input?.take(inputTokens, now);
    buckets.output?.take(reservation, now);
    let settled = false;
    return {
      settle(outputTokens) {
        if (settled) return;
        settled = true;
        // Unused reservation goes back; a reply longer than the (capped) reservation takes more.
        if (outputTokens < reservation)
          buckets.output?.refund(reservation - outputTokens, clock.now());
        else if (outputTokens > reservation)
          buckets.output?.take(outputTokens - reservation, clock.now());
      },
    };
  }

  return {
    admit,
    headers,
    configure(settings) {
      current = settings;
      byModel = new Map();
    },
    settings: () => current,
    reset() {
      current = initial;
      byModel = new Map();
    },
  };
}
