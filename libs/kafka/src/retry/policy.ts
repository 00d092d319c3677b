/**
 * Retry policy as data (ARCHITECTURE.md, "Error classes"):
 *   invalid   → DLQ at once;
 *   transient → next retry stage, DLQ after the last;
 *   throttled → wait `retryAfterMs` without spending an attempt: in process if short, else in
 *               the first stage whose delay covers the wait;
 *   account   → not the record's fault: halt consumption, leave the record in Kafka.
 */
export type ErrorClass = 'invalid' | 'transient' | 'throttled' | 'account';

export interface Classification {
  errorClass: ErrorClass;
  /** For `throttled`: how long to wait (ms). */
  retryAfterMs?: number;
  /** A short reason for headers and status (no secrets). */
  message?: string;
}

export interface RetryStage {
  /** Delay of this stage (ms). */
  delayMs: number;
  /** Random extra delay, as a fraction of delayMs (0.1 = up to +10 %). */
  jitter?: number;
}

export interface RetryPolicy {
  stages: readonly RetryStage[];
  /** Throttle waits up to this long (ms) happen in process. Default 2000 (2 s). */
  maxInProcessDeferralMs?: number;
  classify(error: unknown): Classification;
}

/** An error that says which class it is (thrown by handlers that know). */
export class ClassifiedError extends Error {
  readonly errorClass: ErrorClass;
  readonly retryAfterMs: number | undefined;

  constructor(
    errorClass: ErrorClass,
    message: string,
    options: { retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClassifiedError';
    this.errorClass = errorClass;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A record that cannot be decoded or fails its schema: poison, straight to the DLQ. */
export class InvalidRecordError extends ClassifiedError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('invalid', message, options);
    this.name = 'InvalidRecordError';
  }
}

/** Programming errors are not the record's fault, but retrying cannot fix them either. */
const PROGRAMMING_ERRORS = [TypeError, ReferenceError, SyntaxError, RangeError];

/**
 * The default classifier: a ClassifiedError says what it is; anything else is transient
 * (a timeout, a connection error, a 5xx), except programming errors, which are invalid so that
 * a bug dead-letters records visibly instead of retrying them for hours.
 */
export function defaultClassify(error: unknown): Classification {
  if (error instanceof ClassifiedError) {
    return {
      errorClass: error.errorClass,
      message: error.message,
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (PROGRAMMING_ERRORS.some((type) => error instanceof type))
    return { errorClass: 'invalid', message };
  return { errorClass: 'transient', message };
}

/** Builds a policy from delays (ms), e.g. `retryPolicy([5_000, 60_000, 600_000])`. */
export function retryPolicy(
  delaysMs: readonly number[],
  options: {
    jitter?: number;
    maxInProcessDeferralMs?: number;
    classify?: (error: unknown) => Classification;
  } = {},
): RetryPolicy {
  for (const d of delaysMs) {
    if (!Number.isFinite(d) || d < 0) throw new Error(`retry delays must be >= 0 ms, got ${d}`);
  }
  return {
    stages: delaysMs.map((delayMs) => ({ delayMs, jitter: options.jitter ?? 0 })),
    maxInProcessDeferralMs: options.maxInProcessDeferralMs ?? 2000,
    classify: options.classify ?? defaultClassify,
  };
}

/** Index (1-based) of the first stage whose delay is at least `waitMs`; the last one if none. */
export function stageCovering(stages: readonly RetryStage[], waitMs: number): number {
  const index = stages.findIndex((s) => s.delayMs >= waitMs);
  return index === -1 ? stages.length : index + 1;
}

/** Delay of a stage with its jitter applied. */
export function stageDelay(stage: RetryStage, random: () => number = Math.random): number {
  return Math.round(stage.delayMs * (1 + (stage.jitter ?? 0) * random()));
}
