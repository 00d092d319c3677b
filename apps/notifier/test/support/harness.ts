import {
  buildTopicCatalog,
  cloudEventHeaders,
  provisionTopics,
  topicNames,
  type TopicNames,
} from '@claude-pipeline/kafka';
import { contracts, encode, type ResultRecord } from '@claude-pipeline/schemas';
import { SAMPLE_TRACEPARENT, sampleSucceededResult } from '@claude-pipeline/schemas/testing';
import { generateStandardWebhookSecret } from '@claude-pipeline/signing';
import { createLogger, type Logger } from '@claude-pipeline/telemetry';
import { LOCAL_BROKERS, testKafka, uniqueName, waitFor } from '@claude-pipeline/testing';
import type { Admin, Consumer, IHeaders, Kafka, Producer } from 'kafkajs';
import { loadConfig } from '../../src/config.ts';
import { startNotifier, type Notifier, type NotifierDeps } from '../../src/notifier.ts';

/**
 * Integration harness: a unique topic prefix per test (results, status, the notifier's retry
 * stages and DLQ from the catalog), a producer for results, readers for status and DLQ, and the
 * notifier started in process from an environment map (so config parsing is exercised too).
 */
export interface Harness {
  kafka: Kafka;
  prefix: string;
  names: TopicNames;
  secrets: { acme: string[] };
  env(overrides?: Record<string, string>): Record<string, string>;
  start(overrides?: Record<string, string>, deps?: NotifierDeps): Promise<Notifier>;
  sendResults(results: readonly ResultRecord[]): Promise<void>;
  /** Reads a topic from the beginning for as long as the harness lives. */
  read(topic: string): Promise<KafkaRecord[]>;
  close(): Promise<void>;
}

export interface KafkaRecord {
  key: string;
  value: string;
  json: unknown;
  headers: Record<string, string>;
  partition: number;
}

export const quietLogger = (): Logger => createLogger({ service: 'notifier', level: 'error' });

let counter = 0;
/** A job id unique to this run. */
export const jobId = (label: string) =>
  `${label}_${process.pid}_${Date.now().toString(36)}_${(counter += 1)}`;

/** A succeeded result of tenant `acme` that asks for a callback to `url`. */
export function resultFor(
  url: string | undefined,
  label = 'job',
  overrides: Partial<ResultRecord> = {},
): ResultRecord {
  const id = jobId(label);
  return {
    ...sampleSucceededResult({ job_id: id, correlation_id: `corr-${id}` }),
    ...(url === undefined ? {} : { callback: { url } }),
    ...overrides,
  } as ResultRecord;
}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v !== undefined) out[k] = Array.isArray(v) ? String(v[v.length - 1]) : String(v);
  }
  return out;
}

export async function startHarness(
  options: { partitions?: number; auxPartitions?: number } = {},
): Promise<Harness> {
  const kafka = testKafka();
  const admin: Admin = kafka.admin();
  const producer: Producer = kafka.producer({ idempotent: true });
  await Promise.all([admin.connect(), producer.connect()]);
  const prefix = uniqueName('nt');
  const catalog = buildTopicCatalog({
    prefix,
    partitions: options.partitions ?? 2,
    auxPartitions: options.auxPartitions ?? 1,
  });
  await provisionTopics(
    admin,
    catalog.topics.filter(
      (t) => t.role === 'results' || t.role === 'status' || t.service === 'notifier',
    ),
  );
  const names = topicNames(prefix);
  const secrets = { acme: [generateStandardWebhookSecret(), generateStandardWebhookSecret()] };
  const readers: Consumer[] = [];
  const notifiers: Notifier[] = [];

  const env = (overrides: Record<string, string> = {}) => ({
    KAFKA_BROKERS: LOCAL_BROKERS.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    NOTIFIER_TENANT_SECRETS: JSON.stringify(secrets),
    NOTIFIER_HOST: '127.0.0.1',
    NOTIFIER_PORT: '0',
    NOTIFIER_ALLOW_HTTP: 'true',
    NOTIFIER_ALLOW_CIDRS: '127.0.0.0/8',
    NOTIFIER_RETRY_DELAYS_MS: '300,600,900,1200',
    NOTIFIER_RETRY_JITTER: '0',
    NOTIFIER_SESSION_TIMEOUT_MS: '6000',
    NOTIFIER_DEPTH_INTERVAL_MS: '500',
    ...overrides,
  });

  return {
    kafka,
    prefix,
    names,
    secrets,
    env,
    async start(overrides = {}, deps = {}) {
      const notifier = await startNotifier(loadConfig(env(overrides)), {
        logger: quietLogger(),
        kafka,
        ...deps,
      });
      notifiers.push(notifier);
      return notifier;
    },
    async sendResults(results) {
      await producer.send({
        topic: names.results,
        acks: -1,
        messages: results.map((r) => ({
          key: r.job_id,
          value: encode(contracts.resultRecord, r),
          headers: {
            ...cloudEventHeaders({
              id: `${r.job_id}.${r.generation}`,
              source: '/claude-pipeline/claude-worker',
              type: contracts.resultRecord.ceType ?? '',
            }),
            'correlation-id': r.correlation_id,
            traceparent: SAMPLE_TRACEPARENT,
          },
        })),
      });
    },
    async read(topic) {
      const records: KafkaRecord[] = [];
      const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 200 });
      readers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message, partition }) => {
          const value = message.value?.toString() ?? '';
          let json: unknown;
          try {
            json = JSON.parse(value);
          } catch {
            json = undefined;
          }
          records.push({
            key: message.key?.toString() ?? '',
            value,
            json,
            headers: headersOf(message.headers),
            partition,
          });
        },
      });
      return records;
    },
    async close() {
      await Promise.all(notifiers.splice(0).map((n) => n.abort().catch(() => undefined)));
      await Promise.all(readers.splice(0).map((c) => c.disconnect().catch(() => undefined)));
      await Promise.all([admin.disconnect(), producer.disconnect()]);
    },
  };
}

/** Status records of one job, in topic order. */
export const statusesOf = (records: readonly KafkaRecord[], job: string) =>
  records
    .filter((r) => r.key === job)
    .map(
      (r) =>
        r.json as {
          state: string;
          generation: number;
          attempts: {
            number: number;
            outcome: string;
            http_status?: number;
            error?: { class: string; message: string };
          }[];
        },
    );

export { waitFor };
