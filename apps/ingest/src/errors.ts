/**
 * Every error ingest raises on purpose. One root class carries `retriable` and `cause` (as in
 * kafkajs); predicates sit beside the classes.
 */
export class IngestError extends Error {
  readonly retriable: boolean;

  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** A configuration that cannot work. Thrown at boot; the message names the variable or file. */
export class IngestConfigError extends IngestError {}

/** Kafka did not acknowledge a record in time (or refused it for a reason of its own). */
export class PublishUnavailableError extends IngestError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retriable: true, ...options });
  }
}

/** The record is larger than the broker (or our own limit) accepts. */
export class RecordTooLargeError extends IngestError {}

export interface ProblemField {
  readonly pointer: string;
  readonly detail: string;
}

export interface ProblemOptions {
  /** Machine-readable reason, sent as the `code` extension member. */
  code: string;
  detail?: string;
  errors?: readonly ProblemField[];
  /** Extra response headers (`WWW-Authenticate`, `Retry-After`). */
  headers?: Readonly<Record<string, string>>;
  cause?: unknown;
}

/**
 * An answer other than 2xx, raised inside a handler and rendered once, as
 * `application/problem+json` (RFC 9457), by the server's error handler. Its text is built only
 * from fixed strings and validated names: safe to return and to log.
 */
export class ProblemError extends IngestError {
  readonly status: number;
  readonly code: string;
  readonly detail: string | undefined;
  readonly errors: readonly ProblemField[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, options: ProblemOptions) {
    super(options.detail ?? options.code, {
      retriable: status === 503,
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.status = status;
    this.code = options.code;
    this.detail = options.detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export const isIngestConfigError = (error: unknown): error is IngestConfigError =>
  error instanceof IngestConfigError;

export const isProblemError = (error: unknown): error is ProblemError =>
  error instanceof ProblemError;

export const isPublishUnavailableError = (error: unknown): error is PublishUnavailableError =>
  error instanceof PublishUnavailableError;

export const isRecordTooLargeError = (error: unknown): error is RecordTooLargeError =>
  error instanceof RecordTooLargeError;
