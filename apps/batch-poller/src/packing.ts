/**
 * When to submit: a pending batch is flushed once it holds `maxRequests` requests, once one more
 * request would take it over `maxBytes`, or once its oldest request waited `maxAgeMs`. Never over
 * the API's limits (100,000 requests, 256 MB), whatever the configuration says.
 */
import { API_MAX_BYTES, API_MAX_REQUESTS } from './config.ts';

export interface PackLimits {
  maxRequests: number;
  /** Bytes of request JSON. */
  maxBytes: number;
  /** ms. */
  maxAgeMs: number;
}

export interface PackBuffer<T> {
  readonly items: readonly T[];
  readonly bytes: number;
  /** Epoch ms of the first item added, undefined while empty. */
  readonly startedAt: number | undefined;
  /** Whether `bytes` more would overflow the size limit (flush first, then add). */
  wouldOverflow(bytes: number): boolean;
  /** Adds an item; returns true when the buffer is now full (flush it). */
  add(item: T, bytes: number, now: number): boolean;
  /** Whether the oldest item waited long enough. */
  isDue(now: number): boolean;
  /** Empties the buffer and returns what it held. */
  take(): T[];
}

export function effectiveLimits(limits: PackLimits): PackLimits {
  return {
    maxRequests: Math.max(1, Math.min(limits.maxRequests, API_MAX_REQUESTS)),
    // Leave room for the JSON envelope `{"requests":[...]}`.
    maxBytes: Math.max(1024, Math.min(limits.maxBytes, API_MAX_BYTES - 64)),
    maxAgeMs: Math.max(1, limits.maxAgeMs),
  };
}

export function createPackBuffer<T>(limits: PackLimits): PackBuffer<T> {
  const { maxRequests, maxBytes, maxAgeMs } = effectiveLimits(limits);
  let items: T[] = [];
  let bytes = 0;
  let startedAt: number | undefined;
  return {
    get items() {
      return items;
    },
    get bytes() {
      return bytes;
    },
    get startedAt() {
      return startedAt;
    },
    wouldOverflow: (more) => items.length > 0 && bytes + more + 1 > maxBytes,
    add(item, size, now) {
      if (size + 1 > maxBytes) {
        throw new RangeError(`one request of ${size} bytes exceeds the batch limit of ${maxBytes}`);
      }
      items.push(item);
      bytes += size + 1; // + the comma between requests
      startedAt ??= now;
      return items.length >= maxRequests || bytes >= maxBytes;
    },
    isDue: (now) => startedAt !== undefined && now - startedAt >= maxAgeMs,
    take() {
      const taken = items;
      items = [];
      bytes = 0;
      startedAt = undefined;
      return taken;
    },
  };
}
