import { context, propagation, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';
import { TelemetryConfigError } from './errors.ts';
import {
  activeTelemetry,
  shutdownTelemetry,
  startTelemetry,
  startTelemetryForMain,
  type Telemetry,
  type TelemetryOptions,
} from './sdk.ts';

/** Sets environment variables for one test; restores them afterwards. */
function withEnv(vars: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = v;
    }
  };
}

describe('startTelemetry', () => {
  let exporter: InMemorySpanExporter;
  let restoreEnv: (() => void) | undefined;

  const start = (options: Partial<TelemetryOptions> = {}): Telemetry =>
    startTelemetry({
      serviceName: 'sdk-spec',
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
      handleSignals: false,
      ...options,
    });

  const oneSpan = async (telemetry: Telemetry): Promise<ReadableSpan> => {
    trace.getTracer('sdk-spec').startSpan('probe').end();
    await telemetry.forceFlush();
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    await spans[0]!.resource.waitForAsyncAttributes?.();
    return spans[0]!;
  };

  beforeEach(() => {
    exporter = new InMemorySpanExporter();
  });

  afterEach(async () => {
    await shutdownTelemetry();
    restoreEnv?.();
    restoreEnv = undefined;
  });

  it('names the resource after the service and its version', async () => {
    const telemetry = start({ serviceVersion: '1.2.3' });
    expect(telemetry.enabled).toBe(true);
    const span = await oneSpan(telemetry);
    expect(span.resource.attributes['service.name']).toBe('sdk-spec');
    expect(span.resource.attributes['service.version']).toBe('1.2.3');
    expect(span.resource.attributes['telemetry.sdk.language']).toBe('nodejs');
  });

  it('lets OTEL_SERVICE_NAME win over the name the app passes', async () => {
    restoreEnv = withEnv({ OTEL_SERVICE_NAME: 'from-env' });
    const telemetry = start();
    expect(telemetry.serviceName).toBe('from-env');
    expect((await oneSpan(telemetry)).resource.attributes['service.name']).toBe('from-env');
  });

  it('propagates W3C tracecontext and baggage', () => {
    start();
    const span = trace.getTracer('sdk-spec').startSpan('outgoing');
    const bag = propagation.createBaggage({ tenant: { value: 't1' } });
    const ctx = propagation.setBaggage(trace.setSpan(context.active(), span), bag);
    const headers: Record<string, string> = {};
    propagation.inject(ctx, headers);
    span.end();
    expect(headers['traceparent']).toBe(
      `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`,
    );
    expect(headers['baggage']).toBe('tenant=t1');
  });

  it('returns the running instance when started twice', () => {
    const first = start();
    expect(start({ serviceName: 'other' })).toBe(first);
    expect(activeTelemetry()).toBe(first);
  });

  it('can start again after a shutdown, with the new exporter', async () => {
    const first = start();
    await first.shutdown();
    expect(activeTelemetry()).toBeUndefined();
    exporter = new InMemorySpanExporter();
    const second = start();
    expect(second).not.toBe(first);
    expect((await oneSpan(second)).name).toBe('probe');
  });

  it('shutdownTelemetry is idempotent and fine when nothing runs', async () => {
    await expect(shutdownTelemetry()).resolves.toBeUndefined();
    start();
    await shutdownTelemetry();
    await expect(shutdownTelemetry()).resolves.toBeUndefined();
  });

  it('starts nothing when OTEL_SDK_DISABLED=true', async () => {
    restoreEnv = withEnv({ OTEL_SDK_DISABLED: 'true' });
    const telemetry = start();
    expect(telemetry.enabled).toBe(false);
    const span = trace.getTracer('sdk-spec').startSpan('dropped');
    expect(span.isRecording()).toBe(false);
    span.end();
    await telemetry.forceFlush();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('fails fast on a malformed variable, naming it', () => {
    restoreEnv = withEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' });
    expect(() => start()).toThrow(TelemetryConfigError);
    expect(() => start()).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });

  it('startTelemetryForMain names the service after the nearest package.json', () => {
    const telemetry = startTelemetryForMain(`${__dirname}/register.ts`);
    expect(telemetry.serviceName).toBe('telemetry');
  });
});
