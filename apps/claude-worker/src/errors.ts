/**
 * Every error the worker throws on purpose. One root class carries `retriable` and `cause` (as in
 * kafkajs and libs/kafka). Messages never contain the API key.
 */
export class WorkerError extends Error {
  readonly retriable: boolean;

  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** A configuration that cannot work; the message names the variable. Never retriable. */
export class WorkerConfigError extends WorkerError {}

export const isWorkerConfigError = (error: unknown): error is WorkerConfigError =>
  error instanceof WorkerConfigError;
