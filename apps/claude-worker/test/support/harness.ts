import {
  buildTopicCatalog,
  cloudEventHeaders,
  provisionTopics,
  topicNames,
  type TopicNames,
} from '@claude-pipeline/kafka';
import { contracts, encode, type JobRecord } from '@claude-pipeline/schemas';
import { SAMPLE_TRACEPARENT } from '@claude-pipeline/schemas/testing';
import { createLogger, type Logger } from '@claude-pipeline/telemetry';
import {
  LOCAL_BROKERS,
  startSimProcess,
  testKafka,
  uniqueName,
  waitFor,
  type SimProcess,
} from '@claude-pipeline/testing';
import type { Admin, Consumer, IHeaders, Kafka, Producer } from 'kafkajs';
import { loadConfig } from '../../src/config.ts';
import { startWorker, type Worker, type WorkerDeps } from '../../src/worker.ts';

/**
 * Integration harness: a unique topic prefix per suite (jobs, results, status, stream, the
 * worker's retry stages and DLQ from the catalog), anthropic-sim as its own process, a producer
 * for jobs, readers for output topics, and the worker started in process from an environment map
 * (so config parsing is exercised too).
 */
export interface Harness {
  kafka: Kafka;
  prefix: string;
  names: TopicNames;
  sim: SimProcess;
  env(overrides?: Record<string, string>): Record<string, string>;
  start(overrides?: Record<string, string>, deps?: WorkerDeps): Promise<Worker>;
  sendJobs(jobs: readonly JobRecord[]): Promise<void>;
  /** Reads a topic from the beginning for as long as the harness lives. */
  read(topic: string): Promise<KafkaRecord[]>;
  close(): Promise<void>;
}

export interface KafkaRecord {
  key: string;
  value: string;
  json: Record<string, unknown>;
  headers: Record<string, string>;
  partition: number;
}

export const PARTITIONS = 3;

export const quietLogger = (): Logger => createLogger({ service: 'claude-worker', level: 'error' });

let counter = 0;
/** A job id unique to this run. */
export const jobId = (label: string) =>
  `${label}_${process.pid}_${Date.now().toString(36)}_${(counter += 1)}`;

/** A realtime job of tenant `acme`; `text` becomes the user turn (sim rules match on it). */
export function jobFor(text: string, overrides: Partial<JobRecord> = {}, label = 'job'): JobRecord {
  const id = jobId(label);
  return {
    schema_version: 1,
    job_id: id,
    tenant: 'acme',
    correlation_id: `corr-${id}`,
    generation: 1,
    mode: 'realtime',
    model: 'claude-haiku-4-5',
    messages: [{ role: 'user', content: `${text} [${id}]` }],
    max_tokens: 64,
    stream: false,
    created_at: new Date().toISOString(),
    ...overrides,
  };
}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v !== undefined) out[k] = Array.isArray(v) ? String(v[v.length - 1]) : String(v);
  }
  return out;
}

export async function startHarness(simEnv: Record<string, string> = {}): Promise<Harness> {
  const kafka = testKafka();
  const admin: Admin = kafka.admin();
  const producer: Producer = kafka.producer({ idempotent: true });
  const sim = await startSimProcess({
    SIM_TTFT_MS: '0',
    SIM_TOKENS_PER_SECOND: '0',
    SIM_OUTPUT_TOKENS_MIN: '8',
    SIM_OUTPUT_TOKENS_MAX: '32',
    ...simEnv,
  });
  await Promise.all([admin.connect(), producer.connect()]);
  const prefix = uniqueName('cw');
  const catalog = buildTopicCatalog({ prefix, partitions: PARTITIONS, auxPartitions: PARTITIONS });
  await provisionTopics(
    admin,
    catalog.topics.filter(
      (t) =>
        t.role === 'jobs' ||
        t.role === 'results' ||
        t.role === 'status' ||
        t.role === 'stream' ||
        t.service === 'claude-worker',
    ),
  );
  const names = topicNames(prefix);
  const readers: Consumer[] = [];
  const workers: Worker[] = [];

  const env = (overrides: Record<string, string> = {}) => ({
    KAFKA_BROKERS: LOCAL_BROKERS.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    ANTHROPIC_BASE_URL: sim.url,
    WORKER_HOST: '127.0.0.1',
    WORKER_PORT: '0',
    WORKER_RETRY_DELAYS_MS: '200,400,600',
    WORKER_RETRY_JITTER: '0',
    WORKER_SESSION_TIMEOUT_MS: '10000',
    WORKER_SHUTDOWN_TIMEOUT_MS: '5000',
    ...overrides,
  });

  return {
    kafka,
    prefix,
    names,
    sim,
    env,
    async start(overrides = {}, deps = {}) {
      const worker = await startWorker(loadConfig(env(overrides)), {
        logger: quietLogger(),
        kafka,
        ...deps,
      });
      workers.push(worker);
      return worker;
    },
    async sendJobs(jobs) {
      for (let i = 0; i < jobs.length; i += 500) {
        await producer.send({
          topic: names.jobs,
          acks: -1,
          messages: jobs.slice(i, i + 500).map((job) => ({
            key: job.job_id,
            value: encode(contracts.jobRecord, job),
            headers: {
              ...cloudEventHeaders({
                id: `${job.job_id}.${job.generation}`,
                source: '/claude-pipeline/dedupe',
                type: contracts.jobRecord.ceType ?? '',
              }),
              'correlation-id': job.correlation_id,
              traceparent: SAMPLE_TRACEPARENT,
            },
          })),
        });
      }
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
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(value) as Record<string, unknown>;
          } catch {
            json = {};
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
      await Promise.all(workers.splice(0).map((w) => w.abort().catch(() => undefined)));
      await Promise.all(readers.splice(0).map((c) => c.disconnect().catch(() => undefined)));
      await Promise.all([admin.disconnect(), producer.disconnect()]);
      await sim.stop();
    },
  };
}

/** Jobs with exactly one record of `status` among `records` (by key), and the repeats. */
export function countByKey(records: readonly KafkaRecord[], status?: string) {
  const counts = new Map<string, number>();
  for (const r of records) {
    if (status !== undefined && r.json['status'] !== status) continue;
    counts.set(r.key, (counts.get(r.key) ?? 0) + 1);
  }
  let duplicates = 0;
  for (const n of counts.values()) duplicates += n - 1;
  return { unique: counts.size, duplicates, counts };
}

export interface SimStats {
  requests: { total: number; by_status: Record<string, number> };
  concurrency: { current: number; peak: number };
  rate: { requests_per_second_10s: number; requests_per_second_60s: number };
}

export { waitFor };
