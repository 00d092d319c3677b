import type { ErrorClass } from '@claude-pipeline/kafka';
import { redactSecrets } from '@claude-pipeline/telemetry';
import type { AttemptResult } from '../http/callback-client.ts';

/**
 * What one POST means (issue #8, "Outcomes"):
 *   2xx                                   → delivered;
 *   410                                   → gone: stop delivering to that URL, dead-letter;
 *   429                                   → throttled: pause that destination, no attempt spent;
 *   408, 5xx, 3xx, timeouts, connection   → retry (the chain's stages, then the DLQ);
 *   other 4xx, SSRF refusal               → reject: dead-letter at once.
 * 3xx is retried, not followed: a redirect may be a deploy in progress, and following it could
 * lead anywhere (the SSRF rules are checked per connection, not per hop).
 */
export type Verdict =
  | { kind: 'delivered' }
  | { kind: 'gone' }
  | { kind: 'throttled'; retryAfterMs: number }
  | { kind: 'retry' }
  | { kind: 'reject' };

/** How the attempt affects the destination's circuit. */
export type CircuitEffect = 'success' | 'failure' | 'neutral';

export interface AttemptOutcome {
  verdict: Verdict;
  circuit: CircuitEffect;
  /** Error class for status and DLQ headers (undefined when delivered). */
  errorClass: ErrorClass | undefined;
  /** One line for status, DLQ headers and logs: no URL, no secrets. */
  message: string;
  httpStatus: number | undefined;
  durationMs: number;
  /** Label of `pipeline_deliveries_total{outcome}`. */
  metricOutcome: '2xx' | '3xx' | '4xx' | '5xx' | 'timeout' | 'error' | 'blocked';
}

export interface RetryAfterSettings {
  /** Used when a 429 has no usable Retry-After (ms). */
  defaultMs: number;
  /** Longest pause honoured (ms). */
  maxMs: number;
}

/**
 * Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in ms from `now`, clamped
 * to [0, maxMs]; `defaultMs` when absent or unreadable.
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now: number,
  settings: RetryAfterSettings,
): number {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  let ms: number | undefined;
  if (text !== undefined && /^\d+$/.test(text)) ms = Number(text) * 1000;
  else if (text !== undefined && text !== '') {
    const at = Date.parse(text);
    if (Number.isFinite(at)) ms = at - now;
  }
  if (ms === undefined) ms = settings.defaultMs;
  return Math.min(Math.max(0, ms), settings.maxMs);
}

/** Printable, single-line, bounded text from a peer (never trusted, never long, redacted). */
export function snippet(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const clean = redactSecrets(text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim());
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

export function judgeAttempt(
  result: AttemptResult,
  origin: string,
  now: number,
  retryAfter: RetryAfterSettings,
): AttemptOutcome {
  const durationMs = result.durationMs;
  const took = `after ${Math.round(durationMs)} ms`;
  switch (result.kind) {
    case 'timeout':
      return {
        verdict: { kind: 'retry' },
        circuit: 'failure',
        errorClass: 'transient',
        message: `no answer from ${origin} (timeout ${took})`,
        httpStatus: undefined,
        durationMs,
        metricOutcome: 'timeout',
      };
    case 'error':
      return {
        verdict: { kind: 'retry' },
        circuit: 'failure',
        errorClass: 'transient',
        message: `cannot reach ${origin}: ${result.message} ${took}`,
        httpStatus: undefined,
        durationMs,
        metricOutcome: 'error',
      };
    case 'refused':
      return {
        verdict: { kind: 'reject' },
        circuit: 'neutral',
        errorClass: 'invalid',
        message: result.message,
        httpStatus: undefined,
        durationMs,
        metricOutcome: 'blocked',
      };
    case 'response':
      return judgeResponse(result, origin, now, retryAfter, took);
  }
}

function judgeResponse(
  result: Extract<AttemptResult, { kind: 'response' }>,
  origin: string,
  now: number,
  retryAfter: RetryAfterSettings,
  took: string,
): AttemptOutcome {
  const { status, durationMs } = result;
  const body = snippet(result.bodySnippet);
  const line = `HTTP ${status} from ${origin} ${took}${body ? `: ${body}` : ''}`;
  const base = { httpStatus: status, durationMs, message: line };
  const family = `${Math.floor(status / 100)}xx`;
  if (status >= 200 && status < 300) {
    return {
      ...base,
      verdict: { kind: 'delivered' },
      circuit: 'success',
      errorClass: undefined,
      metricOutcome: '2xx',
    };
  }
  if (status === 410) {
    return {
      ...base,
      verdict: { kind: 'gone' },
      circuit: 'success',
      errorClass: 'invalid',
      metricOutcome: '4xx',
    };
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(result.headers['retry-after'], now, retryAfter);
    return {
      ...base,
      verdict: { kind: 'throttled', retryAfterMs },
      circuit: 'neutral',
      errorClass: 'throttled',
      metricOutcome: '4xx',
    };
  }
  if (status === 408 || status >= 500) {
    return {
      ...base,
      verdict: { kind: 'retry' },
      circuit: 'failure',
      errorClass: 'transient',
      metricOutcome: status === 408 ? '4xx' : '5xx',
    };
  }
  if (status >= 300 && status < 400) {
    return {
      ...base,
      message: `${line} (redirects are not followed)`,
      verdict: { kind: 'retry' },
      circuit: 'neutral',
      errorClass: 'transient',
      metricOutcome: '3xx',
    };
  }
  if (status >= 400 && status < 500) {
    return {
      ...base,
      verdict: { kind: 'reject' },
      circuit: 'success',
      errorClass: 'invalid',
      metricOutcome: '4xx',
    };
  }
  // 1xx as a final answer, or anything outside the HTTP ranges: the peer is broken, try later.
  return {
    ...base,
    verdict: { kind: 'retry' },
    circuit: 'failure',
    errorClass: 'transient',
    metricOutcome: family === '5xx' ? '5xx' : 'error',
  };
}
