import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { kafkaEnvSchema } from '@claude-pipeline/kafka';
import { ROOT } from './paths.ts';

/**
 * The deployables and where their configuration lives. Each service's config module exports its
 * zod `envSchema` (the environment variables it reads, besides the shared KAFKA_* ones).
 */
export interface ServiceSpec {
  /** apps/<name>, the compose service and the Helm chart of the same name. */
  name: string;
  /** Config module exporting `envSchema`, relative to the repository root. */
  configModule: string;
  /** HTTP port of /healthz, /readyz and /metrics by default. */
  port: number;
  /** Whether it is one of the five pipeline services (has a Helm chart) or a test tool. */
  chart: boolean;
  /**
   * Graceful-stop budget when the schema has no *_SHUTDOWN_TIMEOUT* variable: a constant in the
   * source (file relative to the root, constant name), read from there so it cannot drift.
   */
  shutdownConstant?: { file: string; name: string };
  /**
   * Requirements the schema cannot express (checked by loadConfig across variables): each entry
   * lists alternatives, one of which every deployment must set.
   */
  requiredOneOf?: readonly (readonly string[])[];
}

export const SERVICES: readonly ServiceSpec[] = [
  {
    name: 'ingest',
    configModule: 'apps/ingest/src/config/env.config.ts',
    port: 8080,
    chart: true,
    shutdownConstant: { file: 'apps/ingest/src/ingest.ts', name: 'SHUTDOWN_FLUSH_MS' },
    // Without a shared stream token key only dev mode starts (it generates one per process).
    requiredOneOf: [['INGEST_STREAM_TOKEN_SECRETS', 'INGEST_DEV_MODE']],
  },
  { name: 'dedupe', configModule: 'apps/dedupe/src/config.ts', port: 8082, chart: true },
  {
    name: 'claude-worker',
    configModule: 'apps/claude-worker/src/config.ts',
    port: 8083,
    chart: true,
  },
  {
    name: 'notifier',
    configModule: 'apps/notifier/src/config.ts',
    port: 8084,
    chart: true,
    requiredOneOf: [['NOTIFIER_TENANT_SECRETS', 'NOTIFIER_TENANT_SECRETS_FILE']],
  },
  {
    name: 'batch-poller',
    configModule: 'apps/batch-poller/src/config.ts',
    port: 8085,
    chart: true,
  },
  {
    name: 'anthropic-sim',
    configModule: 'apps/anthropic-sim/src/config.ts',
    port: 4010,
    chart: false,
  },
];

export const CHART_SERVICES = SERVICES.filter((s) => s.chart);

export function service(name: string): ServiceSpec {
  const found = SERVICES.find((s) => s.name === name);
  if (!found) throw new Error(`unknown service ${name}`);
  return found;
}

/** Variables every service reads through libs/telemetry (OpenTelemetry SDK and logger). */
export const TELEMETRY_ENV = [
  'OTEL_SDK_DISABLED',
  'OTEL_SERVICE_NAME',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_EXPORT_TIMEOUT',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  'LOG_LEVEL',
  'LOG_PRETTY',
] as const;

/** The KAFKA_* variables of libs/kafka's settings (kafkaSettingsFromEnv). */
export function kafkaEnvNames(): string[] {
  // kafkaEnvSchema is a refined object: its shape is on the inner object schema.
  const schema = kafkaEnvSchema as unknown as { shape: Record<string, unknown> };
  return Object.keys(schema.shape);
}

export type EnvSchema = z.ZodObject<Record<string, z.ZodType>>;

/**
 * The service's `envSchema`, loaded from its config module by path (a tooling project may not
 * import an app as a package; the path keeps that boundary while reading the one source).
 */
export async function loadEnvSchema(spec: ServiceSpec): Promise<EnvSchema> {
  const file = join(ROOT, spec.configModule);
  if (!existsSync(file)) throw new Error(`${spec.name}: config module ${file} does not exist`);
  const module = (await import(file)) as { envSchema?: EnvSchema };
  if (!module.envSchema || typeof module.envSchema !== 'object' || !module.envSchema.shape) {
    throw new Error(`${spec.name}: ${spec.configModule} does not export a zod envSchema`);
  }
  return module.envSchema;
}

export interface ServiceEnv {
  /** Every variable the service reads. */
  known: Set<string>;
  /** Variables of its own schema without a default (must be set by every deployment). */
  required: string[];
  /** Sets of alternatives, one of each must be set. */
  requiredOneOf: readonly (readonly string[])[];
  schema: EnvSchema;
}

export async function serviceEnv(spec: ServiceSpec): Promise<ServiceEnv> {
  const schema = await loadEnvSchema(spec);
  const own = Object.keys(schema.shape);
  const required = own.filter((name) => schema.shape[name]?.safeParse(undefined).success === false);
  for (const alternatives of spec.requiredOneOf ?? []) {
    for (const name of alternatives) {
      if (!own.includes(name)) throw new Error(`${spec.name}: ${name} is not in its envSchema`);
    }
  }
  const known = new Set([...own, ...TELEMETRY_ENV, ...(spec.chart ? kafkaEnvNames() : [])]);
  return { known, required, requiredOneOf: spec.requiredOneOf ?? [], schema };
}

/**
 * The service's graceful-stop budget in ms: the default of its `*_SHUTDOWN_TIMEOUT*` variable
 * (or `override`, a value a deployment sets), else the constant named in the spec.
 */
export function shutdownBudgetMs(
  spec: ServiceSpec,
  env: ServiceEnv,
  overrides: Readonly<Record<string, string>> = {},
): { variable: string; ms: number } {
  const variable = Object.keys(env.schema.shape).find((k) =>
    /SHUTDOWN_TIMEOUT|DRAIN_TIMEOUT/.test(k),
  );
  if (variable) {
    const parsed = env.schema.shape[variable]?.safeParse(overrides[variable]);
    if (!parsed?.success || typeof parsed.data !== 'number') {
      throw new Error(`${spec.name}: ${variable} does not parse to a number of ms`);
    }
    return { variable, ms: parsed.data };
  }
  if (!spec.shutdownConstant) {
    throw new Error(`${spec.name}: no *_SHUTDOWN_TIMEOUT* variable and no known constant`);
  }
  const { file, name } = spec.shutdownConstant;
  const source = readFileSync(join(ROOT, file), 'utf8');
  const match = new RegExp(`const ${name} = ([0-9_]+)`).exec(source);
  if (!match?.[1]) throw new Error(`${spec.name}: ${name} not found in ${file}`);
  return { variable: `${file}:${name}`, ms: Number(match[1].replace(/_/g, '')) };
}
