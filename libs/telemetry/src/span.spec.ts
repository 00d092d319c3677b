import { propagation, ROOT_CONTEXT, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { REDACTED } from './redact.ts';
import { shutdownTelemetry, startTelemetry, type Telemetry } from './sdk.ts';
import { withSpan } from './span.ts';

describe('withSpan', () => {
  const exporter = new InMemorySpanExporter();
  const tracer = () => trace.getTracer('span-spec');

  let telemetry: Telemetry;

  beforeAll(() => {
    telemetry = startTelemetry({
      serviceName: 'span-spec',
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
      handleSignals: false,
    });
  });
  afterEach(() => exporter.reset());
  afterAll(async () => {
    await shutdownTelemetry();
  });

  // SimpleSpanProcessor exports asynchronously (after the resource's async attributes settle).
  const finished = async () => {
    await telemetry.forceFlush();
    return exporter.getFinishedSpans();
  };
  const only = async () => {
    const spans = await finished();
    expect(spans).toHaveLength(1);
    return spans[0]!;
  };

  it('returns what a sync fn returns and ends the span', async () => {
    expect(withSpan(tracer(), 'sync', {}, () => 42)).toBe(42);
    expect((await only()).status.code).toBe(SpanStatusCode.UNSET);
  });

  it('returns the promise of an async fn and ends the span once it settles', async () => {
    let span: Span | undefined;
    const pending = withSpan(tracer(), 'async', {}, async (s) => {
      span = s;
      await new Promise((resolve) => setImmediate(resolve));
      return 'done';
    });
    expect(span?.isRecording()).toBe(true);
    await expect(pending).resolves.toBe('done');
    expect(span?.isRecording()).toBe(false);
    expect((await only()).name).toBe('async');
  });

  it('records a thrown error, sets ERROR status and rethrows', async () => {
    const error = new RangeError('out of range');
    expect(() =>
      withSpan(tracer(), 'throws', {}, () => {
        throw error;
      }),
    ).toThrow(error);
    const span = await only();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'out of range' });
    expect(span.attributes['error.type']).toBe('RangeError');
    expect(span.events[0]?.name).toBe('exception');
    expect(span.events[0]?.attributes?.['exception.type']).toBe('RangeError');
    expect(span.events[0]?.attributes?.['exception.message']).toBe('out of range');
  });

  it('records a rejection the same way and passes it on', async () => {
    await expect(
      withSpan(tracer(), 'rejects', {}, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const span = await only();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('records non-Error throws too', async () => {
    expect(() =>
      withSpan(tracer(), 'string-throw', {}, () => {
        throw 'plain string';
      }),
    ).toThrow('plain string');
    expect((await only()).status).toEqual({ code: SpanStatusCode.ERROR, message: 'plain string' });
  });

  it('keeps secrets out of the recorded exception', async () => {
    expect(() =>
      withSpan(tracer(), 'leaky', {}, () => {
        throw new Error('rejected key sk-ant-api03-abc');
      }),
    ).toThrow();
    const span = await only();
    expect(span.status.message).toBe(`rejected key sk-ant-${REDACTED}`);
    expect(String(span.events[0]?.attributes?.['exception.stacktrace'])).not.toContain('api03');
  });

  it('makes the span active, so nested spans are its children', async () => {
    await withSpan(tracer(), 'parent', {}, async (parent) => {
      await withSpan(tracer(), 'child', {}, async () => undefined);
      expect(trace.getActiveSpan()).toBe(parent);
    });
    const [child, parent] = await finished();
    expect(child?.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
  });

  it('continues a given parent context, e.g. one extracted from Kafka headers', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = propagation.extract(ROOT_CONTEXT, {
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    });
    withSpan(
      tracer(),
      'consume',
      { parent, attributes: { 'pipeline.job.id': 'j1' } },
      () => undefined,
    );
    const span = await only();
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(span.attributes['pipeline.job.id']).toBe('j1');
  });
});
