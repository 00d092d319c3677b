import {
  describeEnvIssues,
  kafkaSettingsFromEnv,
  type KafkaSettings,
} from '@claude-pipeline/kafka';
import { z } from 'zod';
import { parseDuration } from './duration.ts';
import { BatchPollerConfigError } from './errors.ts';

/** The Message Batches API caps a batch at 100,000 requests and 256 MB. */
export const API_MAX_REQUESTS = 100_000;
export const API_MAX_BYTES = 256 * 1024 * 1024; // 256 MB

/** anthropic-sim's local port: the backend when no ANTHROPIC_API_KEY is set. */
export const LOCAL_SIM_URL = 'http://127.0.0.1:4010';

/**
 * batch-poller's settings, parsed once at boot from the environment (Kafka variables are the
 * shared `KAFKA_*` ones). An empty variable counts as unset; a bad one fails the boot naming it.
 */
export interface BatchPollerConfig {
  kafka: KafkaSettings;
  anthropic: {
    /** Never logged. A placeholder when talking to the local anthropic-sim. */
    apiKey: string;
    /** Undefined: the SDK's default (the real API). */
    baseURL: string | undefined;
    /** Per API call (ms). */
    timeoutMs: number;
  };
  /** Consumer group of pipeline.jobs (shared by every replica). */
  groupId: string;
  /** Producer of jobs partition N: `<prefix>.pack.<N>`; of batches partition N: `<prefix>.emit.<N>`. */
  transactionalIdPrefix: string;
  packing: {
    /** Submit a batch once it holds this many requests. */
    maxRequests: number;
    /** ... or this many bytes of request JSON. */
    maxBytes: number;
    /** ... or once its oldest job waited this long (ms). */
    maxAgeMs: number;
  };
  polling: {
    /** First poll of a batch this long after it was created, then with backoff (ms). */
    intervalMs: number;
    /** Longest wait between two polls of one batch (ms). */
    maxIntervalMs: number;
    /** How often the owner loop looks for due work (ms). */
    tickMs: number;
  };
  /** Batch attempts of a job (the first included) before it is dead-lettered. */
  maxAttempts: number;
  /** An intent older than this without a batch is reconciled by the owner (ms). */
  reconcileGraceMs: number;
  /** How often unrecorded (orphan) batches are looked for and canceled (ms). */
  orphanSweepIntervalMs: number;
  /** A batch still running this long after its expires_at is canceled and treated as expired (ms). */
  expiryGraceMs: number;
  /** Result lines per Kafka transaction when a batch's results are emitted. */
  resultsChunk: number;
  /** Model of a job that names a task class only. */
  defaultModel: string;
  /** Task class → model. */
  taskClassModels: Record<string, string>;
  sessionTimeoutMs: number;
  transactionTimeoutMs: number;
  http: { host: string; port: number };
  shutdownTimeoutMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

const unsetIfEmpty = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const duration = (fallback: string, { min = 1 }: { min?: number } = {}) =>
  z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .default(fallback)
      .transform((text, ctx) => {
        const ms = parseDuration(text);
        if (ms === undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `expected a duration like 500ms, 30s, 15m, 36h or 7d, got "${text}"`,
          });
          return z.NEVER;
        }
        if (ms < min) {
          ctx.addIssue({ code: 'custom', message: `must be at least ${min} ms, got ${ms} ms` });
          return z.NEVER;
        }
        return ms;
      }),
  );

const int = (fallback: number, min: number, max: number = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(unsetIfEmpty, z.coerce.number().int().min(min).max(max).default(fallback));

const name = z.preprocess(
  unsetIfEmpty,
  z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,200}$/, 'letters, digits, . _ - only')
    .optional(),
);

const taskClassModels = z.preprocess(
  unsetIfEmpty,
  z
    .string()
    .default('')
    .transform((text, ctx) => {
      const map: Record<string, string> = {};
      for (const part of text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const match = /^([a-z][a-z0-9_-]{0,31})=([a-zA-Z0-9._:@-]{1,128})$/.exec(part);
        if (!match?.[1] || !match[2]) {
          ctx.addIssue({ code: 'custom', message: `expected class=model pairs, got "${part}"` });
          return z.NEVER;
        }
        map[match[1]] = match[2];
      }
      return map;
    }),
);

/** Every variable batch-poller reads (besides KAFKA_*), exported for the deploy checks. */
export const envSchema = z.object({
  ANTHROPIC_API_KEY: z.preprocess(unsetIfEmpty, z.string().optional()),
  ANTHROPIC_BASE_URL: z.preprocess(unsetIfEmpty, z.url({ protocol: /^https?$/ }).optional()),
  ANTHROPIC_TIMEOUT: duration('60s', { min: 100 }),
  BATCH_POLLER_GROUP_ID: name,
  BATCH_POLLER_TRANSACTIONAL_ID_PREFIX: name,
  BATCH_POLLER_MAX_REQUESTS: int(10_000, 1, API_MAX_REQUESTS),
  BATCH_POLLER_MAX_BYTES: int(API_MAX_BYTES, 1024, API_MAX_BYTES),
  BATCH_POLLER_MAX_AGE: duration('60s'),
  BATCH_POLLER_POLL_INTERVAL: duration('60s'),
  BATCH_POLLER_POLL_MAX_INTERVAL: duration('10m'),
  BATCH_POLLER_TICK: duration('1s', { min: 10 }),
  BATCH_POLLER_MAX_ATTEMPTS: int(3, 1, 100),
  BATCH_POLLER_RECONCILE_GRACE: duration('2m', { min: 100 }),
  BATCH_POLLER_ORPHAN_SWEEP_INTERVAL: duration('5m', { min: 100 }),
  BATCH_POLLER_EXPIRY_GRACE: duration('1h'),
  BATCH_POLLER_RESULTS_CHUNK: int(5000, 1, 50_000),
  BATCH_POLLER_DEFAULT_MODEL: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^[a-zA-Z0-9._:@-]{1,128}$/)
      .default('claude-sonnet-4-5'),
  ),
  BATCH_POLLER_TASK_CLASS_MODELS: taskClassModels,
  BATCH_POLLER_SESSION_TIMEOUT: duration('30s', { min: 1000 }),
  BATCH_POLLER_TRANSACTION_TIMEOUT: duration('60s', { min: 1000 }),
  BATCH_POLLER_HTTP_HOST: z.preprocess(unsetIfEmpty, z.string().default('0.0.0.0')),
  BATCH_POLLER_HTTP_PORT: int(8085, 0, 65_535),
  BATCH_POLLER_SHUTDOWN_TIMEOUT: duration('15s'),
});

/** Reads batch-poller's settings; throws a BatchPollerConfigError naming each bad variable. */
export function loadConfig(env: Env = process.env): BatchPollerConfig {
  let kafka: KafkaSettings;
  try {
    kafka = kafkaSettingsFromEnv(env as NodeJS.ProcessEnv, { clientId: 'batch-poller' });
  } catch (error) {
    throw new BatchPollerConfigError(error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new BatchPollerConfigError(
      `invalid batch-poller configuration:\n${describeEnvIssues(parsed.error)}`,
      { cause: parsed.error },
    );
  }
  const e = parsed.data;
  if (e.BATCH_POLLER_POLL_MAX_INTERVAL < e.BATCH_POLLER_POLL_INTERVAL) {
    throw new BatchPollerConfigError(
      'invalid batch-poller configuration:\n  BATCH_POLLER_POLL_MAX_INTERVAL: must not be below BATCH_POLLER_POLL_INTERVAL',
    );
  }
  const prefix = kafka.topicPrefix;
  // Without a key the service talks to the local anthropic-sim, which accepts any key.
  const apiKey = e.ANTHROPIC_API_KEY ?? 'sk-ant-local-sim';
  const baseURL = e.ANTHROPIC_BASE_URL ?? (e.ANTHROPIC_API_KEY ? undefined : LOCAL_SIM_URL);
  return {
    kafka,
    anthropic: { apiKey, baseURL, timeoutMs: e.ANTHROPIC_TIMEOUT },
    groupId: e.BATCH_POLLER_GROUP_ID ?? `${prefix}.batch-poller`,
    transactionalIdPrefix: e.BATCH_POLLER_TRANSACTIONAL_ID_PREFIX ?? `${prefix}.batch-poller`,
    packing: {
      maxRequests: e.BATCH_POLLER_MAX_REQUESTS,
      maxBytes: e.BATCH_POLLER_MAX_BYTES,
      maxAgeMs: e.BATCH_POLLER_MAX_AGE,
    },
    polling: {
      intervalMs: e.BATCH_POLLER_POLL_INTERVAL,
      maxIntervalMs: e.BATCH_POLLER_POLL_MAX_INTERVAL,
      tickMs: e.BATCH_POLLER_TICK,
    },
    maxAttempts: e.BATCH_POLLER_MAX_ATTEMPTS,
    reconcileGraceMs: e.BATCH_POLLER_RECONCILE_GRACE,
    orphanSweepIntervalMs: e.BATCH_POLLER_ORPHAN_SWEEP_INTERVAL,
    expiryGraceMs: e.BATCH_POLLER_EXPIRY_GRACE,
    resultsChunk: e.BATCH_POLLER_RESULTS_CHUNK,
    defaultModel: e.BATCH_POLLER_DEFAULT_MODEL,
    taskClassModels: e.BATCH_POLLER_TASK_CLASS_MODELS,
    sessionTimeoutMs: e.BATCH_POLLER_SESSION_TIMEOUT,
    transactionTimeoutMs: e.BATCH_POLLER_TRANSACTION_TIMEOUT,
    http: { host: e.BATCH_POLLER_HTTP_HOST, port: e.BATCH_POLLER_HTTP_PORT },
    shutdownTimeoutMs: e.BATCH_POLLER_SHUTDOWN_TIMEOUT,
  };
}
