/**
 * Giving back the memory of a large packing step.
 *
 * V8 keeps the heap pages a garbage collection frees in a pool for later allocations, and gives
 * them back to the operating system only on a "last resort" collection (the one it runs under
 * memory pressure). Measured on Node 24 (bench/results/batch.md): after a 150 MB heap is freed by
 * ordinary GCs, `heapTotal` falls to 14 MB while the process keeps ~135 MB of 256 KB heap pages
 * resident, for as long as it runs; a last-resort GC returns them (RSS 189 → 59 MB). Packing a
 * 100,000-request batch grows the heap like that, and the streaming that follows would otherwise
 * run with the packing peak's pages still mapped.
 *
 * The collection is reachable only when Node runs with `--expose-gc` (the image sets it); without
 * it this does nothing. It blocks the event loop for the collection (measured: 215 ms after a
 * 100,000-request batch, 95 ms after the startup restore), so callers run it once after a large
 * step, never per record; heartbeats (every 3 s) and the session timeout (30 s) absorb it.
 */

export type GcFunction = (options: {
  type: 'major';
  execution: 'sync';
  flavor: 'last-resort';
}) => void;

export interface HeapRelease {
  /** Whether a collection can run (Node started with `--expose-gc`). */
  readonly available: boolean;
  /** Runs the collection; returns its duration in ms, or undefined when unavailable. */
  release(): number | undefined;
}

export function heapRelease(
  gc: unknown = (globalThis as { gc?: unknown }).gc,
  now: () => number = () => performance.now(),
): HeapRelease {
  const collect = typeof gc === 'function' ? (gc as GcFunction) : undefined;
  return {
    available: collect !== undefined,
    release() {
      if (!collect) return undefined;
      const started = now();
      collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
      return now() - started;
    },
  };
}

export interface ReleaseLimits {
  /** A step of at least this many requests ... */
  requests: number;
  /** ... or bytes of request JSON grew the heap enough to give its pages back. */
  bytes: number;
  /** At most one collection per this long (ms). */
  minIntervalMs: number;
}

/** Whether a step of `requests` and `bytes`, `sinceLastMs` after the last collection, earns one. */
export const isReleaseDue = (
  step: { requests: number; bytes: number; sinceLastMs: number },
  limits: ReleaseLimits,
): boolean =>
  (step.requests >= limits.requests || step.bytes >= limits.bytes) &&
  step.sinceLastMs >= limits.minIntervalMs;
