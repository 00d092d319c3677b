/**
 * A continuously refilled token bucket, as the API documents its limits: refills at `ratePerMs`
 * up to `capacity`. A cost larger than what is left may be taken anyway (the bucket goes into
 * debt, paid off by refilling before anything else passes), so one big request cannot starve.
 */
export interface TokenBucket {
  readonly capacity: number;
  readonly ratePerMs: number;
  level(now: number): number;
  /** Milliseconds from `now` until `amount` (capped at capacity) is available; 0 if it is. */
  waitMs(amount: number, now: number): number;
  take(amount: number, now: number): void;
  /** Gives back (part of) a reservation, never above capacity. */
  refund(amount: number, now: number): void;
  /** Lowers the level to `level` if it is higher (a correction from the API's headers). */
  clampTo(level: number, now: number): void;
  /** New rate and capacity (the API reported another limit); the level is kept, capped. */
  reconfigure(capacity: number, ratePerMs: number, now: number): void;
}

export function createTokenBucket(options: {
  capacity: number;
  ratePerMs: number;
  initial?: number;
  now: number;
}): TokenBucket {
  let capacity = options.capacity;
  let ratePerMs = options.ratePerMs;
  let tokens = Math.min(capacity, options.initial ?? capacity);
  let updatedAt = options.now;

  const refill = (at: number): void => {
    if (at > updatedAt) {
      tokens = Math.min(capacity, tokens + (at - updatedAt) * ratePerMs);
      updatedAt = at;
    }
  };

  return {
    get capacity() {
      return capacity;
    },
    get ratePerMs() {
      return ratePerMs;
    },
    level(at) {
      refill(at);
      return tokens;
    },
    waitMs(amount, at) {
      refill(at);
      const needed = Math.min(amount, capacity);
      if (tokens >= needed) return 0;
      return Math.max(1, Math.ceil((needed - tokens) / ratePerMs));
    },
    take(amount, at) {
      refill(at);
      tokens -= amount;
    },
    refund(amount, at) {
      refill(at);
      tokens = Math.min(capacity, tokens + amount);
    },
    clampTo(level, at) {
      refill(at);
      if (tokens > level) tokens = level;
    },
    reconfigure(newCapacity, newRate, at) {
      refill(at);
      capacity = newCapacity;
      ratePerMs = newRate;
      tokens = Math.min(tokens, capacity);
    },
  };
}
