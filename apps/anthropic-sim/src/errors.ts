/**
 * Every error the sim raises on purpose. One root class carries `retriable` and `cause` (as in
 * kafkajs); `ApiError` is an error the sim answers a client with, in the Anthropic API's shape.
 */
export class SimError extends Error {
  readonly retriable: boolean;

  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** A configuration that cannot work (bad variable, bad fault rule). Thrown at boot. */
export class SimConfigError extends SimError {}

/**
 * The `error.type` values of the API's error body. `request_too_large` is what the API documents
 * for 413 (answered by its edge, so the SDK's `ErrorType` union does not list it).
 */
export type ApiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'timeout_error'
  | 'api_error'
  | 'overloaded_error';

const TYPE_BY_STATUS: Readonly<Record<number, ApiErrorType>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

const DEFAULT_MESSAGE: Readonly<Record<ApiErrorType, string>> = {
  invalid_request_error: 'Invalid request',
  authentication_error: 'invalid x-api-key',
  billing_error: 'Your credit balance is too low to access the Anthropic API.',
  permission_error: 'Your API key does not have permission to use the specified resource.',
  not_found_error: 'Not found',
  request_too_large: 'Request exceeds the maximum allowed number of bytes.',
  rate_limit_error: 'Number of requests has exceeded your rate limit.',
  timeout_error: 'Request timed out',
  api_error: 'Internal server error',
  overloaded_error: 'Overloaded',
};

/** The error type the API uses for a status (unknown 4xx: invalid request; unknown 5xx: api error). */
export function errorTypeForStatus(status: number): ApiErrorType {
  return TYPE_BY_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

export interface ApiErrorOptions {
  type?: ApiErrorType;
  /** More response headers, e.g. `retry-after`. */
  headers?: Readonly<Record<string, string>>;
  cause?: unknown;
}

/**
 * An answer with an error status: `{"type":"error","error":{"type","message"},"request_id"}`.
 * Retriable exactly when the SDK's retry policy would retry it (429, 5xx, 408, 409).
 */
export class ApiError extends SimError {
  readonly status: number;
  readonly type: ApiErrorType;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, message: string | undefined, options: ApiErrorOptions = {}) {
    const type = options.type ?? errorTypeForStatus(status);
    super(message ?? DEFAULT_MESSAGE[type], {
      retriable: status === 408 || status === 409 || status === 429 || status >= 500,
      cause: options.cause,
    });
    this.status = status;
    this.type = type;
    this.headers = options.headers ?? {};
  }
}

export const invalidRequest = (message: string): ApiError => new ApiError(400, message);

export const notFound = (message: string): ApiError => new ApiError(404, message);

export const isApiError = (error: unknown): error is ApiError => error instanceof ApiError;

export const isSimConfigError = (error: unknown): error is SimConfigError =>
  error instanceof SimConfigError;
