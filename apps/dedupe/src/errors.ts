/**
 * Every error dedupe raises on purpose. One root class carries `retriable` and `cause` (as in
 * kafkajs), with predicates beside them.
 */
export class DedupeError extends Error {
  readonly retriable: boolean;

  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** A configuration that cannot work (bad variable, topics that are not co-partitioned). */
export class DedupeConfigError extends DedupeError {}

/**
 * Another instance took this partition's transactional id over (it was assigned the partition in
 * a newer group generation): this instance must not write for the partition again until it is
 * assigned it anew.
 */
export class PartitionFencedError extends DedupeError {
  readonly partition: number;

  constructor(partition: number, options: { cause?: unknown } = {}) {
    super(`partition ${partition}: producer fenced by a newer owner`, options);
    this.partition = partition;
  }
}

export const isDedupeConfigError = (error: unknown): error is DedupeConfigError =>
  error instanceof DedupeConfigError;

/** kafkajs error types that mean "a newer producer with this transactional id exists". */
const FENCED_TYPES = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

/**
 * Whether a kafkajs error (or one it wraps: retriers nest the original as `cause`/`originalError`)
 * says this producer was fenced.
 */
export function isFencedError(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    if (current instanceof PartitionFencedError) return true;
    const { type, cause, originalError } = current as {
      type?: unknown;
      cause?: unknown;
      originalError?: unknown;
    };
    if (typeof type === 'string' && FENCED_TYPES.has(type)) return true;
    current = originalError ?? cause;
  }
  return false;
}
