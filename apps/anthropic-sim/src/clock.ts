/**
 * The sim's clock: wall time plus an offset that `/_sim/clock/advance` moves forward, so a test
 * can let 24 hours pass for a batch in a millisecond. Batch times, prompt-cache TTLs and rate-limit
 * buckets read it; stream pacing and injected latency use real time (they are waits, not dates).
 */
export interface SimClock {
  /** Milliseconds since the epoch, including the offset. */
  now(): number;
  /** Moves the clock forward by `ms` milliseconds; returns the new offset. */
  advance(ms: number): number;
  /** Total offset so far, milliseconds. */
  offsetMs(): number;
  /** Back to wall time. */
  reset(): void;
}

export function createSimClock(wall: () => number = Date.now): SimClock {
  let offset = 0;
  return {
    now: () => wall() + offset,
    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the clock only moves forward');
      offset += ms;
      return offset;
    },
    offsetMs: () => offset,
    reset() {
      offset = 0;
    },
  };
}

/** RFC 3339 with milliseconds and `Z`, as the API writes its dates. */
export const rfc3339 = (ms: number): string => new Date(ms).toISOString();
