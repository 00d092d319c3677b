/**
 * A continuously refilled token bucket (the algorithm the API documents for its limits): holds
 * up to `capacity`, refills at `capacity` per minute, and may go below zero when a single cost
 * exceeds what it can hold (the debt is then paid off by refilling before anything else passes).
 */
export interface TokenBucket {
  readonly capacity: number;
  /** Tokens available at `now` (ms), at most `capacity`. */
  level(now: number): number;
  /** Milliseconds from `now` until `amount` (capped at capacity) is available; 0 if it is. */
  waitMs(amount: number, now: number): number;
  take(amount: number, now: number): void;
  /** Gives back part of a reservation. */
  refund(amount: number, now: number): void;
  /** When the bucket will be full again (ms since the epoch). */
  fullAt(now: number): number;
}

const MINUTE_MS = 60_000;

export function createTokenBucket(capacityPerMinute: number, now: number): TokenBucket {
  const capacity = capacityPerMinute;
  const perMs = capacityPerMinute / MINUTE_MS;
  let tokens = capacity;
  let updatedAt = now;

  const refill = (at: number): void => {
    if (at > updatedAt) {
      tokens = Math.min(capacity, tokens + (at - updatedAt) * perMs);
      updatedAt = at;
    }
  };

  return {
    capacity,
    level(at) {
      refill(at);
      return tokens;
    },
    waitMs(amount, at) {
      refill(at);
      const needed = Math.min(amount, capacity);
      return tokens >= needed ? 0 : Math.ceil((needed - tokens) / perMs);
    },
    take(amount, at) {
      refill(at);
      tokens -= amount;
    },
    refund(amount, at) {
      refill(at);
      tokens = Math.min(capacity, tokens + amount);
    },
    fullAt(at) {
      refill(at);
      return at + Math.ceil((capacity - tokens) / perMs);
    },
  };
}
