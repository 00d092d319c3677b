import {
  context,
  SpanStatusCode,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { redactSecrets } from './redact.ts';

export interface WithSpanOptions extends SpanOptions {
  /** Parent context, e.g. one extracted from a Kafka record's headers; default: the active one. */
  parent?: Context;
}

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { then?: unknown }).then === 'function';

/**
 * Marks `span` failed by `error`: the exception event (message and stack redacted), ERROR status
 * and `error.type`. Exported for spans that are not run through `withSpan`.
 */
export function recordSpanError(span: Span, error: unknown): void {
  const type = error instanceof Error ? error.name : typeof error;
  const message = redactSecrets(error instanceof Error ? error.message : String(error));
  span.recordException({
    name: type,
    message,
    ...(error instanceof Error && error.stack !== undefined
      ? { stack: redactSecrets(error.stack) }
      : {}),
  });
  span.setAttribute(ATTR_ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/**
 * The one span pattern: run `fn` in a new active span; on a throw or a rejection record the
 * exception and set ERROR status; end the span in every case; return what `fn` returns (a promise
 * for an async `fn`, settled after the span ended).
 */
export function withSpan<T>(
  tracer: Tracer,
  name: string,
  options: WithSpanOptions,
  fn: (span: Span) => T,
): T {
  const { parent, ...spanOptions } = options;
  return tracer.startActiveSpan(name, spanOptions, parent ?? context.active(), (span) => {
    let endNow = true;
    try {
      const result = fn(span);
      if (isPromiseLike(result)) {
        endNow = false;
        return Promise.resolve(result).then(
          (value) => {
            span.end();
            return value;
          },
          (error: unknown) => {
            recordSpanError(span, error);
            span.end();
            throw error;
          },
        ) as T;
      }
      return result;
    } catch (error) {
      recordSpanError(span, error);
      throw error;
    } finally {
      if (endNow) span.end();
    }
  });
}
