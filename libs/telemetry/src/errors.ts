/** Root of this lib's errors; `retriable` says whether trying the same thing again can succeed. */
export class TelemetryError extends Error {
  readonly retriable: boolean;

  constructor(message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** A telemetry or logging variable is malformed. Never retriable: fix the configuration. */
export class TelemetryConfigError extends TelemetryError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retriable: false });
  }
}

export const isTelemetryError = (error: unknown): error is TelemetryError =>
  error instanceof TelemetryError;

export const isTelemetryConfigError = (error: unknown): error is TelemetryConfigError =>
  error instanceof TelemetryConfigError;
