import kafkajs, { type Admin, type Kafka } from 'kafkajs';
import {
  catalogFromSettings,
  createKafka,
  KafkaConfigError,
  kafkaSettingsFromEnv,
  type KafkaSettings,
  type TopicCatalog,
} from '@claude-pipeline/kafka';
import type { Env } from '../cli.io.ts';
import { CliError, reasonOf } from '../errors.ts';

// kafkajs is CommonJS and builds its exports with a spread: take the enum from the default export.
const { logLevel } = kafkajs;

/**
 * The cluster as the commands see it: settings from the same KAFKA_* variables as the services
 * (so `KAFKA_TOPIC_PREFIX` selects the pipeline), the topic catalog, and a connected admin.
 */
export interface KafkaContext {
  settings: KafkaSettings;
  kafka: Kafka;
  admin: Admin;
  catalog: TopicCatalog;
  close(): Promise<void>;
}

export async function openKafka(env: Env): Promise<KafkaContext> {
  let settings: KafkaSettings;
  try {
    settings = kafkaSettingsFromEnv(env as NodeJS.ProcessEnv, { clientId: 'pipeline-cli' });
  } catch (error) {
    if (error instanceof KafkaConfigError) throw new CliError(error.message, { exitCode: 2 });
    throw error;
  }
  // kafkajs logs connection errors as JSON on the console; the CLI reports them itself.
  const kafka = createKafka({
    settings,
    logLevel: env['PIPELINE_DEBUG'] ? logLevel.DEBUG : logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    throw kafkaUnreachable(settings, error);
  }
  return {
    settings,
    kafka,
    admin,
    catalog: catalogFromSettings(settings),
    close: () => admin.disconnect(),
  };
}

export function kafkaUnreachable(settings: KafkaSettings, error: unknown): CliError {
  return new CliError(`cannot reach Kafka at ${settings.brokers.join(',')}: ${reasonOf(error)}`, {
    cause: error,
    hint: 'is the broker running (npm run kafka:start)? KAFKA_BROKERS sets the address',
  });
}

/** Runs `work` with an open context and always disconnects. */
export async function withKafka<T>(env: Env, work: (ctx: KafkaContext) => Promise<T>): Promise<T> {
  const ctx = await openKafka(env);
  try {
    return await work(ctx);
  } finally {
    await ctx.close().catch(() => undefined);
  }
}

/**
 * A topic name as typed: the full name, or the part after the prefix (`jobs` for
 * `pipeline.jobs`, `claude-worker.dlq`).
 */
export function resolveTopicName(catalog: TopicCatalog, name: string): string {
  if (catalog.get(name)) return name;
  const prefixed = `${catalog.names.prefix}.${name}`;
  return catalog.get(prefixed) ? prefixed : name;
}
