/**
 * Poll backoff of one open batch: the first poll `intervalMs` after creation, then each wait
 * doubles up to `maxIntervalMs`. A batch takes minutes to hours, so polling it every interval
 * for 24 hours would waste requests; the completion notification (control topic) cuts the wait.
 */
export interface BackoffSettings {
  /** ms. */
  intervalMs: number;
  /** ms. */
  maxIntervalMs: number;
}

/** Wait before poll number `polls + 1`, after `polls` polls found the batch still running (ms). */
export function pollDelay(polls: number, { intervalMs, maxIntervalMs }: BackoffSettings): number {
  const exponent = Math.max(0, Math.min(polls, 30));
  return Math.min(intervalMs * 2 ** exponent, maxIntervalMs);
}
