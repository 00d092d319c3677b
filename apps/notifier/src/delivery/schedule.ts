import { RETRY_STAGES, retryPolicy, type RetryPolicy } from '@claude-pipeline/kafka';

/**
 * The delivery retry schedule: one delay per retry stage topic
 * (`<prefix>.notifier.retry.<n>`), then the DLQ. The default follows Svix: 5 s, 5 min, 30 min,
 * 2 h, 5 h, 10 h, 10 h — about 27.5 hours from the first failure to the dead letter.
 */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [
  5_000, // 5 s
  300_000, // 5 min
  1_800_000, // 30 min
  7_200_000, // 2 h
  18_000_000, // 5 h
  36_000_000, // 10 h
  36_000_000, // 10 h
];

/** Stage topics the catalog provisions for the notifier: the schedule can use at most these. */
export const MAX_RETRY_STAGES = RETRY_STAGES.notifier;

/** Random extra delay per stage, as a fraction (0.1 = up to +10 %); never shortens a delay. */
export const DEFAULT_RETRY_JITTER = 0.1;

/**
 * Parses `5000,300000,...` (milliseconds). Throws a RangeError saying what is wrong: 1 to
 * {@link MAX_RETRY_STAGES} delays, each a whole number of ms >= 1, none shorter than the one
 * before (so a record's due time never goes backwards as it moves down the chain).
 */
export function parseRetryDelays(text: string, maxStages: number = MAX_RETRY_STAGES): number[] {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0) throw new RangeError('needs at least one delay');
  if (parts.length > maxStages) {
    throw new RangeError(
      `at most ${maxStages} delays (one per retry stage topic), got ${parts.length}`,
    );
  }
  const delays = parts.map((part) => {
    if (!/^\d+$/.test(part) || Number(part) < 1) {
      throw new RangeError(`"${part}" is not a whole number of milliseconds >= 1`);
    }
    return Number(part);
  });
  delays.forEach((delay, i) => {
    const previous = delays[i - 1];
    if (previous !== undefined && delay < previous) {
      throw new RangeError(`delays must not decrease: ${previous} then ${delay}`);
    }
  });
  return delays;
}

/**
 * The retry-chain policy of the notifier. Throttles are never waited out by the chain in
 * process (`maxInProcessDeferralMs: 0`): the notifier waits short pauses inside the destination
 * (where every record for that endpoint shares the pause) and hands longer ones to the chain,
 * which parks them in the first stage whose delay covers the wait without spending an attempt.
 */
export function notifierRetryPolicy(delaysMs: readonly number[], jitter: number): RetryPolicy {
  return retryPolicy(delaysMs, { jitter, maxInProcessDeferralMs: 0 });
}

/** `5 s, 5 min, 30 min, 2 h` — for logs and the README. */
export function describeDelays(delaysMs: readonly number[]): string {
  return delaysMs.map(formatDuration).join(', ');
}

export function formatDuration(ms: number): string {
  const units: [number, string][] = [
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1_000, 's'],
  ];
  for (const [size, unit] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  }
  return `${ms} ms`;
}
