import { join } from 'node:path';
import {
  describeEnvIssues,
  kafkaSettingsFromEnv,
  type KafkaSettings,
} from '@claude-pipeline/kafka';
import { z } from 'zod';
import { parseDuration } from './duration.ts';
import { DedupeConfigError } from './errors.ts';

/**
 * dedupe's settings, parsed once at boot from the environment (Kafka variables are the shared
 * `KAFKA_*` ones). An empty variable counts as unset; a bad one fails the boot naming it.
 */
export interface DedupeConfig {
  kafka: KafkaSettings;
  /** Consumer group of every dedupe instance. */
  groupId: string;
  /** Producer of input partition N uses `<transactionalIdPrefix>.<N>`. */
  transactionalIdPrefix: string;
  /** A repeat of a key within this long after its first sighting is dropped (ms). */
  windowMs: number;
  /** Root of the local state DBs (one LMDB per assigned partition). */
  stateDir: string;
  /** Most input records committed in one Kafka transaction. */
  maxBatchRecords: number;
  /** Input partitions processed at once (each with its own producer and transaction). */
  partitionsConsumedConcurrently: number;
  /** Fetch size per partition (bytes). */
  maxBytesPerPartition: number;
  /** Consumer group session timeout (ms): how long a dead instance keeps its partitions. */
  sessionTimeoutMs: number;
  /** Broker aborts a transaction left open this long (ms). */
  transactionTimeoutMs: number;
  expiry: {
    /** How often expired keys are looked for (ms). */
    intervalMs: number;
    /** Most tombstones in one transaction. */
    batchSize: number;
  };
  http: { host: string; port: number };
  /** Longest graceful stop before giving up on in-flight work (ms). */
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

export const envSchema = z.object({
  DEDUPE_WINDOW: duration('7d'),
  DEDUPE_GROUP_ID: name,
  DEDUPE_TRANSACTIONAL_ID_PREFIX: name,
  DEDUPE_STATE_DIR: z.preprocess(unsetIfEmpty, z.string().optional()),
  // A backlog is worked off in transactions of up to 5,000 records and 5 MiB fetches: 13,200
  // events/s on 2 cores against 8,800 with 1,000 and 1 MiB (bench/results/dedupe.md). When caught
  // up, batches are as small as what arrived, so latency does not change.
  DEDUPE_MAX_BATCH_RECORDS: int(5000, 1, 100_000),
  DEDUPE_PARTITIONS_CONCURRENTLY: int(8, 1, 1000),
  DEDUPE_MAX_BYTES_PER_PARTITION: int(5 * 1024 * 1024, 1024),
  DEDUPE_SESSION_TIMEOUT: duration('30s', { min: 1000 }),
  DEDUPE_TRANSACTION_TIMEOUT: duration('60s', { min: 1000 }),
  DEDUPE_EXPIRY_INTERVAL: duration('60s', { min: 10 }),
  DEDUPE_EXPIRY_BATCH: int(1000, 1, 100_000),
  DEDUPE_HTTP_HOST: z.preprocess(unsetIfEmpty, z.string().default('0.0.0.0')),
  DEDUPE_HTTP_PORT: int(8082, 0, 65_535),
  DEDUPE_SHUTDOWN_TIMEOUT: duration('15s'),
  PIPELINE_RUN_DIR: z.preprocess(unsetIfEmpty, z.string().default('.run')),
});

/** Reads dedupe's settings; throws a DedupeConfigError naming each bad variable. */
export function loadConfig(env: Env = process.env): DedupeConfig {
  let kafka: KafkaSettings;
  try {
    kafka = kafkaSettingsFromEnv(env as NodeJS.ProcessEnv, { clientId: 'dedupe' });
  } catch (error) {
    throw new DedupeConfigError(error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new DedupeConfigError(
      `invalid dedupe configuration:\n${describeEnvIssues(parsed.error)}`,
      { cause: parsed.error },
    );
  }
  const e = parsed.data;
  const prefix = kafka.topicPrefix;
  return {
    kafka,
    groupId: e.DEDUPE_GROUP_ID ?? `${prefix}.dedupe`,
    transactionalIdPrefix: e.DEDUPE_TRANSACTIONAL_ID_PREFIX ?? `${prefix}.dedupe`,
    windowMs: e.DEDUPE_WINDOW,
    stateDir: e.DEDUPE_STATE_DIR ?? join(e.PIPELINE_RUN_DIR, 'dedupe', 'state'),
    maxBatchRecords: e.DEDUPE_MAX_BATCH_RECORDS,
    partitionsConsumedConcurrently: e.DEDUPE_PARTITIONS_CONCURRENTLY,
    maxBytesPerPartition: e.DEDUPE_MAX_BYTES_PER_PARTITION,
    sessionTimeoutMs: e.DEDUPE_SESSION_TIMEOUT,
    transactionTimeoutMs: e.DEDUPE_TRANSACTION_TIMEOUT,
    expiry: { intervalMs: e.DEDUPE_EXPIRY_INTERVAL, batchSize: e.DEDUPE_EXPIRY_BATCH },
    http: { host: e.DEDUPE_HTTP_HOST, port: e.DEDUPE_HTTP_PORT },
    shutdownTimeoutMs: e.DEDUPE_SHUTDOWN_TIMEOUT,
  };
}
