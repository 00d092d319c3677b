/**
 * Every error batch-poller raises on purpose. One root class carries `retriable` and `cause` (as
 * in kafkajs), with predicates beside them.
 */
export class BatchPollerError extends Error {
  readonly retriable: boolean;

  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** A configuration that cannot work (bad variable, missing topics). */
export class BatchPollerConfigError extends BatchPollerError {}

/** The packing step could not finish (the intent stays; the owner reconciles it). */
export class PackingError extends BatchPollerError {}

export const isBatchPollerConfigError = (error: unknown): error is BatchPollerConfigError =>
  error instanceof BatchPollerConfigError;
