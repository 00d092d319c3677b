/**
 * Integration harness: ingest started in-process on port 0 against a real broker, with its own
 * topic prefix (events and status topics from the catalog), plus readers that look at what
 * actually reached Kafka.
 */
import {
  buildTopicCatalog,
  provisionTopics,
  topicNames,
  type TopicNames,
} from '@claude-pipeline/kafka';
import { createLogger } from '@claude-pipeline/telemetry';
import { LOCAL_BROKERS, testKafka, uniqueName, waitFor } from '@claude-pipeline/testing';
import type { Admin, IHeaders, Kafka, Producer } from 'kafkajs';
import type { IngestConfig } from '../src/config/env.config.ts';
import { parseSources } from '../src/config/sources.config.ts';
import { startIngest, type Ingest } from '../src/ingest.ts';
import { API_KEYS, STREAM_SECRET } from './server-fixture.ts';
import { SECRETS, SOURCES } from './webhook-fixtures.ts';

export interface ConsumedRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

export interface Harness {
  readonly prefix: string;
  readonly names: TopicNames;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly config: IngestConfig;
  readonly ingest: Ingest;
  /** Another replica on the same topics. */
  startReplica(): Promise<Ingest>;
  /** Records on a topic now (high minus low watermarks: ingest writes no transactions). */
  count(topic: string): Promise<number>;
  /** Every record on a topic now, read with a read_committed consumer. */
  readAll(topic: string): Promise<ConsumedRecord[]>;
  /** A plain producer for writing status records as dedupe/worker/notifier would. */
  producer(): Promise<Producer>;
  close(): Promise<void>;
}

export function testConfig(
  prefix: string,
  brokers: string[],
  overrides: Partial<IngestConfig> = {},
): IngestConfig {
  return {
    host: '127.0.0.1',
    port: 0,
    publicUrl: undefined,
    apiKeys: API_KEYS,
    sources: parseSources(JSON.stringify(SOURCES), SECRETS, 'test sources'),
    bodyLimitBytes: 1024 * 1024,
    maxRecordBytes: 1_000_000,
    publishTimeoutMs: 5_000,
    maxQueuedRecords: 10_000,
    readyTimeoutMs: 2_000,
    startupTimeoutMs: 30_000,
    defaults: { maxTokens: 1024, taskClass: 'default' },
    acceptedCache: { maxEntries: 1000, ttlMs: 60_000 },
    statusGroupId: undefined,
    devMode: false,
    stream: {
      tokenSecrets: [STREAM_SECRET],
      tokenSecretGenerated: false,
      tokenTtlMs: 600_000,
      heartbeatMs: 15_000,
      maxClients: 10_000,
      maxDurationMs: 600_000,
      replayWaitMs: 5_000,
      maxBufferedBytes: 1024 * 1024,
      groupId: undefined,
    },
    kafka: {
      brokers,
      clientId: uniqueName('ingest'),
      topicPrefix: prefix,
      ssl: false,
      connectionTimeoutMs: 3_000,
      requestTimeoutMs: 30_000,
    },
    ...overrides,
  };
}

const quietLogger = () =>
  createLogger({
    service: 'ingest-test',
    level: process.env['LOG_LEVEL'] === 'debug' ? 'debug' : 'silent',
  });

const headerStrings = (headers: IHeaders | undefined): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers ?? {}).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.map(String).join(',') : String(value),
    ]),
  );

export async function startHarness(
  options: { brokers?: string[]; config?: Partial<IngestConfig> } = {},
): Promise<Harness> {
  const brokers = options.brokers ?? LOCAL_BROKERS;
  const prefix = uniqueName('ingest_t').replaceAll('-', '_');
  const names = topicNames(prefix);
  const kafka = testKafka(brokers);
  const admin = kafka.admin();
  await admin.connect();
  const catalog = buildTopicCatalog({ prefix, partitions: 2, auxPartitions: 1 });
  await provisionTopics(
    admin,
    catalog.topics.filter((topic) => ['events', 'status', 'stream'].includes(topic.role)),
  );
  const config = testConfig(prefix, brokers, options.config);
  const ingests: Ingest[] = [];
  const producers: Producer[] = [];
  const start = async () => {
    const ingest = await startIngest(
      { ...config, kafka: { ...config.kafka, clientId: uniqueName('ingest') } },
      { logger: quietLogger() },
    );
    ingests.push(ingest);
    return ingest;
  };
  const ingest = await start();

  const count = async (topic: string) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
  };

  return {
    prefix,
    names,
    kafka,
    admin,
    config,
    ingest,
    startReplica: start,
    count,
    async readAll(topic) {
      const expected = await count(topic);
      if (expected === 0) return [];
      const records: ConsumedRecord[] = [];
      const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ partition, message }) => {
            records.push({
              partition,
              offset: message.offset,
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? null,
              headers: headerStrings(message.headers),
            });
          },
        });
        await waitFor(() => records.length >= expected, { description: `${expected} records` });
      } finally {
        await consumer.disconnect();
      }
      return records;
    },
    async producer() {
      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      producers.push(producer);
      return producer;
    },
    async close() {
      await Promise.all(ingests.map((i) => i.close()));
      await Promise.all(producers.map((p) => p.disconnect()));
      const ours = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
      if (ours.length > 0) await admin.deleteTopics({ topics: ours }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}
