// Public entry of @claude-pipeline/telemetry. The `--import` entry is `./register` (register.ts).
export * from './attributes.ts';
export {
  DEFAULT_OTLP_ENDPOINT,
  LOG_LEVELS,
  loggerSettingsFromEnv,
  telemetrySettingsFromEnv,
  type LoggerSettings,
  type LogLevel,
  type TelemetrySettings,
} from './config.ts';
export {
  TelemetryConfigError,
  TelemetryError,
  isTelemetryConfigError,
  isTelemetryError,
} from './errors.ts';
export {
  createLogger,
  withCorrelationId,
  type Logger,
  type LoggerFactoryOptions,
} from './logger.ts';
export * from './metrics.ts';
export { startHttpServer, type HttpServer, type Probes } from './probe-server.ts';
export {
  createCounter,
  createGauge,
  createHistogram,
  createMetricsRegistry,
  metricsHandler,
  type MetricsRegistryOptions,
  type MetricsResponse,
} from './prometheus.ts';
export { MAX_REDACTION_DEPTH, REDACTED, isSecretName, redactSecrets } from './redact.ts';
export {
  activeTelemetry,
  defaultInstrumentations,
  shutdownTelemetry,
  startTelemetry,
  startTelemetryForMain,
  type Instrumentations,
  type Telemetry,
  type TelemetryOptions,
} from './sdk.ts';
export { UNKNOWN_SERVICE, serviceIdentityOf, type ServiceIdentity } from './service-identity.ts';
export {
  FLUSH_SIGNALS,
  SIGNAL_FLUSH_TIMEOUT_MS,
  flushOnSignals,
  type FlushOnSignalsOptions,
} from './signals.ts';
export { recordSpanError, withSpan, type WithSpanOptions } from './span.ts';
export { traceFieldsOf, type TraceFields } from './trace-fields.ts';
