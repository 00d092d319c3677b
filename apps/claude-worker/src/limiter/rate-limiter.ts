import { WorkerError } from '../errors.ts';
import { createTokenBucket, type TokenBucket } from './token-bucket.ts';

/**
 * The one rate limiter all calls of a worker share. Per model, three buckets as the API keeps
 * them: requests, input tokens (estimated before the call, corrected from usage after) and
 * output tokens (`max_tokens` reserved, the unused part refunded from usage). A call is
 * dispatched when every bucket of its model covers it and fewer than `maxInFlight` calls run;
 * calls of one model go in arrival order. Limits are seeded from config and corrected by the
 * `anthropic-ratelimit-*` headers of each answer; a 429 pauses ALL dispatch for `retry-after`
 * (the limit is the account's, so every call would get the same answer).
 *
 * The request bucket holds only `requestBurstMs` worth of its rate, so requests go out evenly
 * instead of a minute's allowance at once; token buckets hold a minute, as the API's do, because
 * a reservation of `max_tokens` is mostly refunded a few seconds later, but start empty, so the
 * first minute is not spent twice.
 */
export interface LimitSet {
  /** Requests per minute; 0 = no request bucket. */
  rpm: number;
  /** Input tokens per minute; 0 = no bucket. */
  itpm: number;
  /** Output tokens per minute; 0 = no bucket. */
  otpm: number;
}

export interface RateLimiterOptions {
  defaults: LimitSet;
  perModel?: Readonly<Record<string, Partial<LimitSet>>>;
  /** Fraction of each limit to use (0 < h <= 1). */
  headroom: number;
  /** Capacity of the request bucket, as ms of its rate. */
  requestBurstMs: number;
  /** Calls in flight at once. */
  maxInFlight: number;
  now?: () => number;
}

export interface Demand {
  inputTokens: number;
  maxTokens: number;
}

export interface ActualUsage {
  /** Input tokens the limit counts: input + cache writes (cache reads do not count). */
  inputTokens: number;
  outputTokens: number;
}

export interface Permit {
  readonly model: string;
  /** How long the call waited for its permit (ms). */
  readonly waitedMs: number;
  /** Frees the slot and settles the reservations (without usage: output refunded in full). */
  release(usage?: ActualUsage): void;
}

export interface RateLimiter {
  acquire(model: string, demand: Demand): Promise<Permit>;
  /** Corrects the model's buckets from an answer's `anthropic-ratelimit-*` headers. */
  observe(model: string, headers: { get(name: string): string | null }): void;
  /** Stops all dispatch for `ms` (a 429's retry-after). */
  pause(ms: number): void;
  /** Rejects every waiter and all later acquires (shutdown, account halt). */
  close(reason: string): void;
  readonly inFlight: number;
  readonly waiting: number;
  readonly pausedUntil: number;
}

export class LimiterClosedError extends WorkerError {}

interface Buckets {
  requests?: TokenBucket;
  input?: TokenBucket;
  output?: TokenBucket;
  limits: LimitSet;
}

interface Waiter {
  demand: Demand;
  since: number;
  resolve: (permit: Permit) => void;
  reject: (error: unknown) => void;
}

const MINUTE_MS = 60_000;

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const now = options.now ?? Date.now;
  const { headroom, requestBurstMs, maxInFlight } = options;
  if (!(headroom > 0 && headroom <= 1))
    throw new WorkerError(`headroom must be in (0, 1], got ${headroom}`);
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new WorkerError(`maxInFlight must be an integer >= 1, got ${maxInFlight}`);
  }
  const byModel = new Map<string, Buckets>();
  const queues = new Map<string, Waiter[]>();
  let inFlight = 0;
  let waiting = 0;
  let pausedUntil = 0;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Number.POSITIVE_INFINITY;
  let closed: string | undefined;

  const requestBucket = (rpm: number, at: number, initial?: number) => {
    const ratePerMs = (rpm * headroom) / MINUTE_MS;
    const capacity = Math.max(1, ratePerMs * requestBurstMs);
    return createTokenBucket({
      capacity,
      ratePerMs,
      initial: initial ?? Math.min(1, capacity),
      now: at,
    });
  };
  // Token buckets start empty: the account's own buckets may be drained (a restart, another
  // replica), and a full minute spent at once would put the first minute over the limit.
  const tokenBucket = (perMinute: number, at: number) =>
    createTokenBucket({
      capacity: perMinute * headroom,
      ratePerMs: (perMinute * headroom) / MINUTE_MS,
      initial: 0,
      now: at,
    });

  function bucketsOf(model: string): Buckets {
    let b = byModel.get(model);
    if (!b) {
      const limits = { ...options.defaults, ...options.perModel?.[model] };
      const at = now();
      b = { limits };
      if (limits.rpm > 0) b.requests = requestBucket(limits.rpm, at);
      if (limits.itpm > 0) b.input = tokenBucket(limits.itpm, at);
      if (limits.otpm > 0) b.output = tokenBucket(limits.otpm, at);
      byModel.set(model, b);
    }
    return b;
  }

  const outputReservation = (b: Buckets, maxTokens: number) =>
    Math.min(maxTokens, b.output?.capacity ?? maxTokens);

  function waitFor(b: Buckets, demand: Demand, at: number): number {
    return Math.max(
      b.requests?.waitMs(1, at) ?? 0,
      b.input?.waitMs(demand.inputTokens, at) ?? 0,
      b.output?.waitMs(outputReservation(b, demand.maxTokens), at) ?? 0,
    );
  }

  function schedule(delayMs: number): void {
    const at = now() + delayMs;
    if (timer && timerAt <= at) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(
      () => {
        timer = undefined;
        timerAt = Number.POSITIVE_INFINITY;
        pump();
      },
      Math.max(1, delayMs),
    );
  }

  function grant(model: string, b: Buckets, w: Waiter, at: number): void {
    const output = outputReservation(b, w.demand.maxTokens);
    const input = w.demand.inputTokens;
    b.requests?.take(1, at);
    b.input?.take(input, at);
    b.output?.take(output, at);
    inFlight += 1;
    let released = false;
    w.resolve({
      model,
      waitedMs: at - w.since,
      release(usage) {
        if (released) return;
        released = true;
        inFlight -= 1;
        const t = now();
        if (usage) {
          const inputDiff = usage.inputTokens - input;
          if (inputDiff > 0) b.input?.take(inputDiff, t);
          else b.input?.refund(-inputDiff, t);
          const outputDiff = usage.outputTokens - output;
          if (outputDiff > 0) b.output?.take(outputDiff, t);
          else b.output?.refund(-outputDiff, t);
        } else {
          // Failed without usage: whatever was generated is unknown; the input stays spent.
          b.output?.refund(output, t);
        }
        pump();
      },
    });
  }

  function pump(): void {
    if (closed !== undefined) return;
    const at = now();
    if (at < pausedUntil) {
      schedule(pausedUntil - at);
      return;
    }
    let soonest = Number.POSITIVE_INFINITY;
    for (const [model, queue] of queues) {
      const b = bucketsOf(model);
      while (queue.length > 0 && inFlight < maxInFlight) {
        const w = queue[0];
        if (!w) break;
        const wait = waitFor(b, w.demand, at);
        if (wait > 0) {
          soonest = Math.min(soonest, wait);
          break;
        }
        queue.shift();
        waiting -= 1;
        grant(model, b, w, at);
      }
      if (queue.length === 0) queues.delete(model);
    }
    if (Number.isFinite(soonest)) schedule(soonest);
  }

  function headerNumber(headers: { get(name: string): string | null }, name: string) {
    const raw = headers.get(name);
    if (raw === null || raw.trim() === '') return undefined;
    const n = Number(raw);
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  }

  return {
    acquire(model, demand) {
      if (closed !== undefined) return Promise.reject(new LimiterClosedError(closed));
      return new Promise<Permit>((resolve, reject) => {
        const queue = queues.get(model) ?? [];
        queue.push({ demand, since: now(), resolve, reject });
        queues.set(model, queue);
        waiting += 1;
        pump();
      });
    },
    observe(model, headers) {
      const b = bucketsOf(model);
      const at = now();
      const correct = (
        name: 'requests' | 'input-tokens' | 'output-tokens',
        key: keyof LimitSet,
        bucket: TokenBucket | undefined,
      ) => {
        if (!bucket) return;
        const limit = headerNumber(headers, `anthropic-ratelimit-${name}-limit`);
        if (limit !== undefined && limit > 0 && limit !== b.limits[key]) {
          b.limits = { ...b.limits, [key]: limit };
          const rate = (limit * headroom) / MINUTE_MS;
          bucket.reconfigure(
            key === 'rpm' ? Math.max(1, rate * requestBurstMs) : limit * headroom,
            rate,
            at,
          );
        }
        const remaining = headerNumber(headers, `anthropic-ratelimit-${name}-remaining`);
        if (remaining !== undefined) bucket.clampTo(remaining, at);
      };
      correct('requests', 'rpm', b.requests);
      correct('input-tokens', 'itpm', b.input);
      correct('output-tokens', 'otpm', b.output);
    },
    pause(ms) {
      const until = now() + Math.max(0, ms);
      if (until > pausedUntil) pausedUntil = until;
      pump();
    },
    close(reason) {
      if (closed !== undefined) return;
      closed = reason;
      if (timer) clearTimeout(timer);
      timer = undefined;
      for (const queue of queues.values()) {
        for (const w of queue.splice(0)) w.reject(new LimiterClosedError(reason));
      }
      queues.clear();
      waiting = 0;
    },
    get inFlight() {
      return inFlight;
    },
    get waiting() {
      return waiting;
    },
    get pausedUntil() {
      return pausedUntil;
    },
  };
}
