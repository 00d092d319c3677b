import { APIError } from '@anthropic-ai/sdk';
import { ClassifiedError, type ErrorClass } from '@claude-pipeline/kafka';

/**
 * Error classes of a Claude call (ARCHITECTURE.md, "Error classes"):
 *   invalid   400, 404, 413, 422 and other 4xx: the job can never succeed as it is → DLQ;
 *   transient 408, 409, 5xx, 529, timeouts, connection errors, a broken stream → retry chain;
 *   throttled 429: wait `retry-after`, no attempt spent;
 *   account   401, 402, 403: the pipeline's credentials or billing → stop consuming.
 */
export interface ClaudeFailure {
  errorClass: ErrorClass;
  /** Short reason for results, status and DLQ headers (never the API key). */
  message: string;
  /** The API error type (`overloaded_error`), when the API said one. */
  code?: string;
  status?: number;
  /** For throttled: how long to wait (ms). */
  retryAfterMs?: number;
}

/** Used when a 429 names no usable wait. */
export const DEFAULT_RETRY_AFTER_MS = 5_000;

/** `retry-after-ms`, else `retry-after` in seconds or as an HTTP date; undefined if neither. */
export function retryAfterMs(
  headers: { get(name: string): string | null } | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers.get('retry-after');
  if (raw === null) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

export function classForStatus(status: number): ErrorClass {
  if (status === 429) return 'throttled';
  if (status === 401 || status === 402 || status === 403) return 'account';
  if (status === 408 || status === 409 || status >= 500) return 'transient';
  return 'invalid';
}

const PROGRAMMING_ERRORS = [ReferenceError, SyntaxError, RangeError];

/**
 * Classifies what a call threw. `duringStream`: the error happened after the response began, so
 * whatever it is (undici's `TypeError: terminated`, an SSE `error` event) the stream broke and the
 * call is retried as a whole.
 */
export function classifyClaudeError(
  error: unknown,
  options: { duringStream?: boolean; now?: number } = {},
): ClaudeFailure {
  if (error instanceof ClassifiedError) {
    return {
      errorClass: error.errorClass,
      message: error.message,
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    };
  }
  if (error instanceof APIError) {
    const code = typeof error.type === 'string' ? error.type : undefined;
    const message = (error.apiMessage ?? error.message).slice(0, 1000);
    const base = { message, ...(code === undefined ? {} : { code }) };
    if (typeof error.status !== 'number') {
      // No status: a connection error, a timeout, our own abort, or an `error` event in a stream.
      return { ...base, errorClass: 'transient' };
    }
    const errorClass = classForStatus(error.status);
    if (errorClass === 'throttled') {
      return {
        ...base,
        errorClass,
        status: error.status,
        retryAfterMs: retryAfterMs(error.headers, options.now) ?? DEFAULT_RETRY_AFTER_MS,
      };
    }
    return { ...base, errorClass, status: error.status };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (options.duringStream)
    return { errorClass: 'transient', message: `stream broken: ${message}` };
  if (error instanceof Error && /streaming is required/i.test(message)) {
    return { errorClass: 'invalid', message };
  }
  if (PROGRAMMING_ERRORS.some((type) => error instanceof type)) {
    return { errorClass: 'invalid', message };
  }
  // undici network failures (`TypeError: fetch failed`, `terminated`) and the like.
  return { errorClass: 'transient', message };
}

/** The failure as an error the retry chain understands. */
export function toClassifiedError(failure: ClaudeFailure, cause?: unknown): ClassifiedError {
  return new ClassifiedError(failure.errorClass, failure.message, {
    ...(failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs }),
    ...(cause === undefined ? {} : { cause }),
  });
}
