import { context, logs, propagation, trace } from '@opentelemetry/api';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { telemetrySettingsFromEnv } from './config.ts';
import { serviceIdentityOf } from './service-identity.ts';
import { flushOnSignals } from './signals.ts';

export type Instrumentations = NodeSDKConfiguration['instrumentations'];

export interface TelemetryOptions {
  /** `service.name` unless OTEL_SERVICE_NAME is set. */
  serviceName: string;
  /** `service.version` (OTEL_RESOURCE_ATTRIBUTES=service.version=… wins). */
  serviceVersion?: string;
  /**
   * Replace the export pipeline, e.g. `[new SimpleSpanProcessor({ exporter: inMemory })]` in
   * tests. Default: one BatchSpanProcessor (OTEL_BSP_* variables) to `exporter`.
   */
  spanProcessors?: SpanProcessor[];
  /** Default: OTLP protobuf over HTTP to OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT. */
  exporter?: SpanExporter;
  /** Default: `defaultInstrumentations()` (HTTP, undici/fetch, pino). */
  instrumentations?: Instrumentations;
  /** Flush on SIGTERM/SIGINT and before a natural exit (see `flushOnSignals`). Default true. */
  handleSignals?: boolean;
}

export interface Telemetry {
  /** False when OTEL_SDK_DISABLED=true: nothing was started, every method is a no-op. */
  readonly enabled: boolean;
  readonly serviceName: string;
  /** Exports every span ended so far. */
  forceFlush(): Promise<void>;
  /** Flushes, stops exporting, unhooks instrumentations and unregisters the global providers. */
  shutdown(): Promise<void>;
}

/** Probe and scrape paths: polled every few seconds, never worth a trace. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

const untracedPath = (url: string | undefined): boolean =>
  UNTRACED_PATHS.has((url ?? '').split('?', 1)[0] ?? '');

/**
 * HTTP (node:http server and client), undici (fetch, the Anthropic SDK) and pino (log correlation
 * for loggers not made by `createLogger`). No kafkajs instrumentation: `libs/kafka` propagates
 * context per record itself, which a per-request instrumentation would get wrong for batches.
 */
export function defaultInstrumentations(): Instrumentations {
  return [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request) => untracedPath(request.url),
    }),
    new UndiciInstrumentation(),
    // Log sending off: logs are JSON lines on stdout, collected from there (Jaeger takes no logs).
    new PinoInstrumentation({ disableLogSending: true }),
  ];
}

let active: Telemetry | undefined;

/** The started telemetry, if any. */
export function activeTelemetry(): Telemetry | undefined {
  return active;
}

function disabledTelemetry(serviceName: string): Telemetry {
  const telemetry: Telemetry = {
    enabled: false,
    serviceName,
    forceFlush: () => Promise.resolve(),
    shutdown: () => {
      if (active === telemetry) active = undefined;
      return Promise.resolve();
    },
  };
  return telemetry;
}

/**
 * Starts the OpenTelemetry Node SDK for this process: resource (`service.name`,
 * `service.version`, host/process detectors, OTEL_RESOURCE_ATTRIBUTES), W3C tracecontext and
 * baggage propagation, the default instrumentations, and span export. No OTel metrics or logs:
 * metrics are Prometheus (`createMetricsRegistry`), logs are pino JSON lines.
 *
 * The `--import` entry calls this; tests call it with an in-memory exporter. Starting twice returns
 * the first instance. Honours OTEL_SDK_DISABLED=true.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  if (active !== undefined) return active;
  const settings = telemetrySettingsFromEnv();
  const serviceName = settings.serviceName ?? options.serviceName;
  if (settings.disabled) {
    active = disabledTelemetry(serviceName);
    return active;
  }

  const spanProcessors = options.spanProcessors ?? [
    new BatchSpanProcessor({
      exporter: options.exporter ?? new OTLPTraceExporter({ url: settings.tracesUrl }),
      ...settings.batch,
    }),
  ];
  const instrumentations = options.instrumentations ?? defaultInstrumentations();
  const sdk = new NodeSDK({
    serviceName,
    resource: defaultResource().merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: serviceName,
        ...(options.serviceVersion === undefined
          ? {}
          : { [ATTR_SERVICE_VERSION]: options.serviceVersion }),
      }),
    ),
    spanProcessors,
    textMapPropagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
    instrumentations,
    // Empty on purpose: without them NodeSDK would set up OTLP metric and log exporters from the
    // environment, and Jaeger accepts neither.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();

  let removeSignalHandlers: (() => void) | undefined;
  const telemetry: Telemetry = {
    enabled: true,
    serviceName,
    forceFlush: async () => {
      await Promise.all(spanProcessors.map((processor) => processor.forceFlush()));
    },
    shutdown: async () => {
      if (active !== telemetry) return;
      active = undefined;
      removeSignalHandlers?.();
      try {
        await sdk.shutdown();
      } finally {
        for (const instrumentation of instrumentations.flat()) instrumentation.disable();
        // So a later startTelemetry (tests) can register its own providers.
        trace.disable();
        propagation.disable();
        context.disable();
        logs.disable();
      }
    },
  };
  active = telemetry;
  if (options.handleSignals ?? true) removeSignalHandlers = flushOnSignals(telemetry);
  return telemetry;
}

/** Flushes and stops telemetry; call it at the end of the app's own shutdown. Idempotent. */
export async function shutdownTelemetry(): Promise<void> {
  await active?.shutdown();
}

/**
 * What the `--import` entry runs: start telemetry named after the app whose entry file is
 * `mainPath` (nearest package.json, scope dropped), unless OTEL_SERVICE_NAME names it.
 */
export function startTelemetryForMain(mainPath: string | undefined): Telemetry {
  const identity = serviceIdentityOf(mainPath);
  return startTelemetry({
    serviceName: identity.name,
    ...(identity.version === undefined ? {} : { serviceVersion: identity.version }),
  });
}
