/**
 * The job's trace continues through the worker: the record's CONSUMER span is a child of the
 * job's `traceparent`, the Messages call is a CLIENT span under it, and the result record
 * carries the same trace (with the telemetry setup the apps load, the exporter swapped for an
 * in-memory one).
 */
import { SAMPLE_TRACEPARENT } from '@claude-pipeline/schemas/testing';
import { startTelemetry, type Telemetry } from '@claude-pipeline/telemetry';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { jobFor, startHarness, waitFor, type Harness } from './support/harness.ts';

describe('trace continuation (real broker, anthropic-sim, real SDK)', () => {
  let telemetry: Telemetry;
  const exporter = new InMemorySpanExporter();
  let h: Harness;

  beforeAll(async () => {
    telemetry = startTelemetry({
      serviceName: 'claude-worker-test',
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
      handleSignals: false,
    });
    h = await startHarness();
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    await telemetry?.shutdown();
  });

  it('makes the Messages call a child span of the record it serves, in the job trace', async () => {
    const traceId = SAMPLE_TRACEPARENT.split('-')[1] ?? '';
    const job = jobFor('Trace me');
    const results = await h.read(h.names.results);
    await h.sendJobs([job]); // with the sample traceparent header
    await h.start();
    const result = await waitFor(() => results.find((r) => r.key === job.job_id), {
      timeoutMs: 30_000,
      description: 'result',
    });
    // The CONSUMER span ends when the handler returns, just after the result is acked.
    const { spans, consume, call } = await waitFor(
      () => {
        const finished = exporter.getFinishedSpans();
        const found = {
          spans: finished,
          consume: finished.find(
            (s) => s.name === `${h.names.jobs} process` && s.spanContext().traceId === traceId,
          ),
          call: finished.find((s) => s.name === 'chat claude-haiku-4-5'),
        };
        return found.consume && found.call ? found : undefined;
      },
      { description: 'consumer and call spans' },
    );
    expect(consume).toBeDefined();
    expect(call?.kind).toBe(SpanKind.CLIENT);
    expect(call?.spanContext().traceId).toBe(traceId);
    expect(call?.parentSpanContext?.spanId).toBe(consume?.spanContext().spanId);
    expect(call?.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(result.headers['traceparent']?.split('-')[1]).toBe(traceId);
    // The API key never reaches a span.
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain('sim-key');
  }, 60_000);
});
