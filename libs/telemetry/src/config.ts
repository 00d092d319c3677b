import { z } from 'zod';
import { TelemetryConfigError } from './errors.ts';

/**
 * Telemetry and logging settings, parsed once at boot from the environment (the standard
 * `OTEL_*` names where one exists). Per the OpenTelemetry spec an empty variable counts as unset.
 */
const unsetIfEmpty = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const bool = z.preprocess(
  (value) => (typeof value === 'string' ? value.trim().toLowerCase() : value),
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .transform((v) => ['true', '1', 'yes'].includes(v)),
);

const optional = <T extends z.ZodType>(schema: T) => z.preprocess(unsetIfEmpty, schema.optional());

const nonNegativeInt = z.coerce.number().int().nonnegative();

/** Where traces go when no OTLP endpoint variable is set: the local Jaeger (IPv4 only, on purpose). */
export const DEFAULT_OTLP_ENDPOINT = 'http://127.0.0.1:4318';

// The spec's only disabling value is "true" (any case); anything but true/false is a typo.
const otelBool = z.preprocess(
  (value) => (typeof value === 'string' ? value.trim().toLowerCase() : value),
  z.enum(['true', 'false']).transform((v) => v === 'true'),
);

export const telemetryEnvSchema = z.object({
  OTEL_SDK_DISABLED: optional(otelBool),
  OTEL_SERVICE_NAME: optional(z.string().trim().min(1)),
  /** Base URL; `/v1/traces` is appended (OTLP spec). */
  OTEL_EXPORTER_OTLP_ENDPOINT: optional(z.url()),
  /** Full URL, used as is; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optional(z.url()),
  /** Batch span processor: delay between exports (ms), queue and batch sizes (spans). */
  OTEL_BSP_SCHEDULE_DELAY: optional(nonNegativeInt),
  OTEL_BSP_EXPORT_TIMEOUT: optional(nonNegativeInt),
  OTEL_BSP_MAX_QUEUE_SIZE: optional(nonNegativeInt),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: optional(nonNegativeInt),
});

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const loggerEnvSchema = z.object({
  LOG_LEVEL: z.preprocess(
    (value) => (typeof value === 'string' ? unsetIfEmpty(value.trim().toLowerCase()) : value),
    z.enum(LOG_LEVELS).default('info'),
  ),
  /** Human-readable output through pino-pretty (a dev dependency: never in production images). */
  LOG_PRETTY: z.preprocess(unsetIfEmpty, bool.default(false)),
});

export interface TelemetrySettings {
  disabled: boolean;
  /** OTEL_SERVICE_NAME, when set: wins over the name an app passes. */
  serviceName?: string;
  /** Full OTLP/HTTP traces URL. */
  tracesUrl: string;
  batch: {
    scheduledDelayMillis?: number;
    exportTimeoutMillis?: number;
    maxQueueSize?: number;
    maxExportBatchSize?: number;
  };
}

export interface LoggerSettings {
  level: LogLevel;
  pretty: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

function parse<T extends z.ZodType>(schema: T, env: Env, what: string): z.infer<T> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new TelemetryConfigError(`invalid ${what} configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

/** Joins a base endpoint and the signal path the way the OTLP exporter spec says. */
function tracesUrlOf(env: z.infer<typeof telemetryEnvSchema>): string {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT ?? DEFAULT_OTLP_ENDPOINT;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

/** Reads telemetry settings; throws a TelemetryConfigError naming each bad variable. */
export function telemetrySettingsFromEnv(env: Env = process.env): TelemetrySettings {
  const parsed = parse(telemetryEnvSchema, env, 'telemetry');
  const batch: TelemetrySettings['batch'] = {};
  if (parsed.OTEL_BSP_SCHEDULE_DELAY !== undefined)
    batch.scheduledDelayMillis = parsed.OTEL_BSP_SCHEDULE_DELAY;
  if (parsed.OTEL_BSP_EXPORT_TIMEOUT !== undefined)
    batch.exportTimeoutMillis = parsed.OTEL_BSP_EXPORT_TIMEOUT;
  if (parsed.OTEL_BSP_MAX_QUEUE_SIZE !== undefined)
    batch.maxQueueSize = parsed.OTEL_BSP_MAX_QUEUE_SIZE;
  if (parsed.OTEL_BSP_MAX_EXPORT_BATCH_SIZE !== undefined)
    batch.maxExportBatchSize = parsed.OTEL_BSP_MAX_EXPORT_BATCH_SIZE;
  return {
    disabled: parsed.OTEL_SDK_DISABLED ?? false,
    ...(parsed.OTEL_SERVICE_NAME === undefined ? {} : { serviceName: parsed.OTEL_SERVICE_NAME }),
    tracesUrl: tracesUrlOf(parsed),
    batch,
  };
}

/**
 * Only the kill switch, never throwing: the `--import` entry checks it before anything else, and a
 * malformed value there must surface from `telemetrySettingsFromEnv` with its full message.
 */
export function telemetryDisabledInEnv(env: Env = process.env): boolean {
  return env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true';
}

/** Reads logger settings; throws a TelemetryConfigError naming each bad variable. */
export function loggerSettingsFromEnv(env: Env = process.env): LoggerSettings {
  const parsed = parse(loggerEnvSchema, env, 'logger');
  return { level: parsed.LOG_LEVEL, pretty: parsed.LOG_PRETTY };
}
