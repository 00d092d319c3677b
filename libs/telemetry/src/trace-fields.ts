import { context, isSpanContextValid, trace, type Context } from '@opentelemetry/api';

/** The log-correlation fields of the OpenTelemetry spec, as instrumentation-pino names them. */
export interface TraceFields {
  trace_id: string;
  span_id: string;
  /** Two hex digits, `01` when sampled. */
  trace_flags: string;
}

/**
 * Fields identifying the span active in `ctx` (default: the current context), or none. Reads only
 * `@opentelemetry/api`, so it works without the SDK's module hooks (and is a no-op without an SDK).
 */
export function traceFieldsOf(ctx: Context = context.active()): TraceFields | Record<never, never> {
  const spanContext = trace.getSpanContext(ctx);
  if (spanContext === undefined || !isSpanContextValid(spanContext)) return {};
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: spanContext.traceFlags.toString(16).padStart(2, '0'),
  };
}
