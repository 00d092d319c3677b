import { randomBytes } from 'node:crypto';
import { kafkaSettingsFromEnv, KafkaConfigError, type KafkaSettings } from '@claude-pipeline/kafka';
import { MAX_TOKENS_LIMIT, TENANT_ID_PATTERN, taskClassSchema } from '@claude-pipeline/schemas';
import { z } from 'zod';
import { IngestConfigError } from '../errors.ts';
import { loadSourcesFile, type SourceConfig } from './sources.config.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** A bearer API key and the tenant it acts for. */
export interface ApiKeyConfig {
  readonly tenant: string;
  readonly key: string;
}

/** Everything ingest needs, parsed once at boot. Tests build it directly. */
export interface IngestConfig {
  host: string;
  port: number;
  /** Base of `status_url`; undefined: a path relative to the API origin. */
  publicUrl: string | undefined;
  apiKeys: readonly ApiKeyConfig[];
  sources: readonly SourceConfig[];
  /** Largest request body, bytes. */
  bodyLimitBytes: number;
  /** Largest `pipeline.events` value, bytes (stay under the broker's `message.max.bytes`). */
  maxRecordBytes: number;
  /** Longest wait for Kafka's ack before answering 503, ms. */
  publishTimeoutMs: number;
  /** Records waiting for Kafka beyond which new requests get 503 at once. */
  maxQueuedRecords: number;
  /** Longest a /readyz probe of Kafka may take, ms. */
  readyTimeoutMs: number;
  /** Longest boot wait for Kafka and the topics, ms. */
  startupTimeoutMs: number;
  defaults: { maxTokens: number; taskClass: string };
  /** Jobs this replica accepted, answered as `accepted` until the status view has them. */
  acceptedCache: { maxEntries: number; ttlMs: number };
  /** Consumer group of this replica's status view; default `<prefix>.ingest.status.<random>`. */
  statusGroupId: string | undefined;
  /** Local development: a generated stream token key is allowed (with a warning). */
  devMode: boolean;
  stream: StreamConfig;
  kafka: KafkaSettings;
}

/** Live token streams (`GET /v1/jobs/:id/stream`). */
export interface StreamConfig {
  /** HMAC keys of stream URLs: the first signs, all verify (rotation). Shared by all replicas. */
  tokenSecrets: readonly string[];
  /** The key was generated at boot (dev mode only): tokens work on this process alone. */
  tokenSecretGenerated: boolean;
  /** Lifetime of a stream URL, ms. */
  tokenTtlMs: number;
  /** Interval of heartbeat comments, ms. */
  heartbeatMs: number;
  /** Open streams per replica beyond which a new one gets 503. */
  maxClients: number;
  /** A stream is closed after this long (the client reconnects with Last-Event-ID), ms. */
  maxDurationMs: number;
  /** Longest wait for the replay before the response starts anyway, ms. */
  replayWaitMs: number;
  /** Bytes queued for a slow client beyond which it is disconnected (it resumes later). */
  maxBufferedBytes: number;
  /** Base of this replica's stream reader groups; default `<prefix>.ingest.stream.<random>`. */
  groupId: string | undefined;
}

const unsetIfEmpty = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;
const opt = <T extends z.ZodType>(schema: T) => z.preprocess(unsetIfEmpty, schema.optional());
const withDefault = <T extends z.ZodType>(schema: T, value: z.util.NoUndefined<z.output<T>>) =>
  z.preprocess(unsetIfEmpty, schema.default(value));
const positiveInt = z.coerce.number().int().positive();

/** RFC 6750 b64token: what a bearer token may consist of. */
const BEARER_TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;
export const MIN_API_KEY_LENGTH = 16;

/** `tenant:key,tenant:key`. Messages name the entry by position, never show a key. */
const apiKeysSchema = z.string().transform((text, ctx): ApiKeyConfig[] => {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const keys: ApiKeyConfig[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const tenant = colon < 0 ? '' : entry.slice(0, colon);
    const key = colon < 0 ? '' : entry.slice(colon + 1);
    const problem = !TENANT_ID_PATTERN.test(tenant)
      ? 'expected tenant:key with a tenant id of letters, digits, "-" and "_"'
      : key.length < MIN_API_KEY_LENGTH
        ? `the key is shorter than ${MIN_API_KEY_LENGTH} characters`
        : !BEARER_TOKEN.test(key)
          ? 'the key has characters a bearer token may not have'
          : seen.has(key)
            ? 'the key is listed twice'
            : undefined;
    if (problem !== undefined) {
      ctx.addIssue({ code: 'custom', message: `entry ${index + 1}: ${problem}` });
      return;
    }
    seen.add(key);
    keys.push({ tenant, key });
  });
  return keys;
});

/** Comma-separated stream token keys, each long enough for HMAC-SHA256. */
export const MIN_STREAM_SECRET_LENGTH = 32;
const streamSecretsSchema = z.string().transform((text, ctx): string[] => {
  const secrets = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  secrets.forEach((secret, index) => {
    if (secret.length < MIN_STREAM_SECRET_LENGTH) {
      ctx.addIssue({
        code: 'custom',
        message: `entry ${index + 1}: shorter than ${MIN_STREAM_SECRET_LENGTH} characters`,
      });
    }
  });
  return secrets;
});
const booleanSchema = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

export const envSchema = z.object({
  INGEST_HOST: withDefault(z.string(), '0.0.0.0'),
  INGEST_PORT: withDefault(z.coerce.number().int().min(0).max(65_535), 8080),
  INGEST_PUBLIC_URL: opt(z.url({ protocol: /^https?$/ })),
  INGEST_API_KEYS: withDefault(apiKeysSchema, []),
  INGEST_SOURCES_FILE: opt(z.string()),
  INGEST_BODY_LIMIT_BYTES: withDefault(positiveInt, 1024 * 1024), // 1 MiB
  INGEST_MAX_RECORD_BYTES: withDefault(positiveInt, 1_000_000), // broker default is 1 MiB + 12 B
  INGEST_PUBLISH_TIMEOUT_MS: withDefault(positiveInt, 5_000),
  INGEST_MAX_QUEUED_RECORDS: withDefault(positiveInt, 10_000),
  INGEST_READY_TIMEOUT_MS: withDefault(positiveInt, 2_000),
  INGEST_STARTUP_TIMEOUT_MS: withDefault(positiveInt, 30_000),
  INGEST_DEFAULT_MAX_TOKENS: withDefault(positiveInt.max(MAX_TOKENS_LIMIT), 1024),
  INGEST_DEFAULT_TASK_CLASS: withDefault(taskClassSchema, 'default'),
  INGEST_ACCEPTED_CACHE_SIZE: withDefault(positiveInt, 100_000),
  INGEST_ACCEPTED_CACHE_TTL_MS: withDefault(positiveInt, 10 * 60_000), // 10 minutes
  INGEST_STATUS_GROUP: opt(z.string().regex(/^[A-Za-z0-9._-]{1,200}$/)),
  INGEST_DEV_MODE: withDefault(booleanSchema, false),
  INGEST_STREAM_TOKEN_SECRETS: withDefault(streamSecretsSchema, []),
  INGEST_STREAM_TOKEN_TTL_S: withDefault(positiveInt, 15 * 60), // 15 minutes
  INGEST_STREAM_HEARTBEAT_MS: withDefault(positiveInt, 15_000),
  INGEST_STREAM_MAX_CLIENTS: withDefault(positiveInt, 10_000),
  INGEST_STREAM_MAX_DURATION_MS: withDefault(positiveInt, 15 * 60_000), // 15 minutes
  INGEST_STREAM_REPLAY_WAIT_MS: withDefault(positiveInt, 5_000),
  INGEST_STREAM_MAX_BUFFERED_BYTES: withDefault(positiveInt, 1024 * 1024), // 1 MiB
  INGEST_STREAM_GROUP: opt(z.string().regex(/^[A-Za-z0-9._-]{1,200}$/)),
});

/** Reads ingest's settings; throws an IngestConfigError naming each bad variable. */
export function loadConfig(env: Env = process.env): IngestConfig {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new IngestConfigError(`invalid ingest configuration:\n${lines.join('\n')}`);
  }
  const e = result.data;
  let kafka: KafkaSettings;
  try {
    kafka = kafkaSettingsFromEnv(env as NodeJS.ProcessEnv, { clientId: 'ingest' });
  } catch (error) {
    if (error instanceof KafkaConfigError) {
      throw new IngestConfigError(error.message, { cause: error });
    }
    throw error;
  }
  const generated = e.INGEST_STREAM_TOKEN_SECRETS.length === 0;
  if (generated && !e.INGEST_DEV_MODE) {
    // A key made up per process would make every other replica reject this one's stream URLs.
    throw new IngestConfigError(
      'invalid ingest configuration:\n  INGEST_STREAM_TOKEN_SECRETS: required (a key shared by ' +
        'every replica, at least 32 characters); only INGEST_DEV_MODE=true generates one',
    );
  }
  return {
    host: e.INGEST_HOST,
    port: e.INGEST_PORT,
    publicUrl: e.INGEST_PUBLIC_URL?.replace(/\/+$/, ''),
    apiKeys: e.INGEST_API_KEYS,
    sources: e.INGEST_SOURCES_FILE === undefined ? [] : loadSourcesFile(e.INGEST_SOURCES_FILE, env),
    bodyLimitBytes: e.INGEST_BODY_LIMIT_BYTES,
    maxRecordBytes: e.INGEST_MAX_RECORD_BYTES,
    publishTimeoutMs: e.INGEST_PUBLISH_TIMEOUT_MS,
    maxQueuedRecords: e.INGEST_MAX_QUEUED_RECORDS,
    readyTimeoutMs: e.INGEST_READY_TIMEOUT_MS,
    startupTimeoutMs: e.INGEST_STARTUP_TIMEOUT_MS,
    defaults: { maxTokens: e.INGEST_DEFAULT_MAX_TOKENS, taskClass: e.INGEST_DEFAULT_TASK_CLASS },
    acceptedCache: {
      maxEntries: e.INGEST_ACCEPTED_CACHE_SIZE,
      ttlMs: e.INGEST_ACCEPTED_CACHE_TTL_MS,
    },
    statusGroupId: e.INGEST_STATUS_GROUP,
    devMode: e.INGEST_DEV_MODE,
    stream: {
      tokenSecrets: generated
        ? [randomBytes(32).toString('base64url')]
        : e.INGEST_STREAM_TOKEN_SECRETS,
      tokenSecretGenerated: generated,
      tokenTtlMs: e.INGEST_STREAM_TOKEN_TTL_S * 1000,
      heartbeatMs: e.INGEST_STREAM_HEARTBEAT_MS,
      maxClients: e.INGEST_STREAM_MAX_CLIENTS,
      maxDurationMs: e.INGEST_STREAM_MAX_DURATION_MS,
      replayWaitMs: e.INGEST_STREAM_REPLAY_WAIT_MS,
      maxBufferedBytes: e.INGEST_STREAM_MAX_BUFFERED_BYTES,
      groupId: e.INGEST_STREAM_GROUP,
    },
    kafka,
  };
}
