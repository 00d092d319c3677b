/**
 * Every error the CLI reports on purpose. One root class carries the exit code and an optional
 * hint (the next thing to try); anything else is an unexpected error (exit 1, stack with
 * PIPELINE_DEBUG=1).
 */
export const EXIT = {
  ok: 0,
  /** The operation failed (HTTP error, Kafka error, job failed, timeout). */
  failure: 1,
  /** Bad flags or arguments: nothing was done. */
  usage: 2,
  /** Stopped by Ctrl-C while waiting (128 + SIGINT). */
  interrupted: 130,
} as const;

export class CliError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;

  constructor(
    message: string,
    options: { exitCode?: number; hint?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? EXIT.failure;
    this.hint = options.hint;
  }
}

/** Bad flags or arguments (exit 2). */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: EXIT.usage, ...(hint === undefined ? {} : { hint }) });
  }
}

/** An HTTP answer that is not 2xx, with its problem+json details when there are any. */
export class HttpError extends CliError {
  readonly status: number;
  readonly body: unknown;

  constructor(message: string, status: number, body: unknown, hint?: string) {
    super(message, hint === undefined ? {} : { hint });
    this.status = status;
    this.body = body;
  }
}

export const isCliError = (error: unknown): error is CliError => error instanceof CliError;

/** A readable one-line reason for any error (kafkajs nests the useful part in `cause`). */
export function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (error.name === 'KafkaJSNumberOfRetriesExceeded' && cause instanceof Error) {
    return cause.message;
  }
  return error.message;
}
