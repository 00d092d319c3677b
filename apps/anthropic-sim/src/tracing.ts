import { context, propagation, SpanKind, trace, type Span } from '@opentelemetry/api';
import { withSpan } from '@claude-pipeline/telemetry';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * The sim's spans continue the caller's trace. Under the telemetry `--import` entry the HTTP
 * instrumentation has already opened a server span from the incoming `traceparent`, and the sim's
 * span is its child. Without it (the sim embedded in a test, instrumentation off) the sim extracts
 * `traceparent` itself, so the caller's trace id is kept either way.
 */
export function withRequestSpan<T>(
  name: string,
  headers: IncomingHttpHeaders,
  attributes: Record<string, string | number | boolean>,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const active = context.active();
  const instrumented = trace.getSpan(active) !== undefined;
  const parent = instrumented ? active : propagation.extract(active, headers);
  // Looked up per call (cheap): a tracer kept from module load would outlive a provider swap.
  return withSpan(
    trace.getTracer('anthropic-sim'),
    name,
    { kind: instrumented ? SpanKind.INTERNAL : SpanKind.SERVER, attributes, parent },
    fn,
  );
}
