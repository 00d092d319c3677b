/**
 * Helpers of batch-poller's integration tests: a topic set of its own per test (unique prefix),
 * jobs as dedupe writes them (each in its own trace), read_committed collectors, anthropic-sim as
 * a process, and batch-poller as a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  buildTopicCatalog,
  provisionTopics,
  topicNames,
  type TopicNames,
} from '@claude-pipeline/kafka';
import type { JobRecord, ResultRecord } from '@claude-pipeline/schemas';
import { sampleJobRecord } from '@claude-pipeline/schemas/testing';
import { LOCAL_BROKERS, uniqueName, waitFor, workspaceRoot } from '@claude-pipeline/testing';
import type { Admin, IHeaders, Kafka, Producer } from 'kafkajs';

/** Creates every topic of a fresh prefix, as `npm run topics` would. */
export async function provisionPrefix(admin: Admin, partitions = 2): Promise<TopicNames> {
  const prefix = uniqueName('bp').replace(/[^a-zA-Z0-9_-]/g, '_');
  const catalog = buildTopicCatalog({ prefix, partitions, auxPartitions: 2 });
  const report = await provisionTopics(admin, catalog.topics);
  if (report.mismatches.length > 0) throw new Error(JSON.stringify(report.mismatches));
  return topicNames(prefix);
}

/** The env a batch-poller of this test runs with. Fast timings; everything else default. */
export function pollerEnv(
  names: TopicNames,
  simUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    KAFKA_BROKERS: LOCAL_BROKERS.join(','),
    KAFKA_TOPIC_PREFIX: names.prefix,
    ANTHROPIC_BASE_URL: simUrl,
    ANTHROPIC_API_KEY: 'sk-ant-test',
    BATCH_POLLER_HTTP_HOST: '127.0.0.1',
    BATCH_POLLER_HTTP_PORT: '0',
    BATCH_POLLER_MAX_AGE: '500ms',
    BATCH_POLLER_POLL_INTERVAL: '300ms',
    BATCH_POLLER_POLL_MAX_INTERVAL: '2s',
    BATCH_POLLER_TICK: '100ms',
    BATCH_POLLER_RECONCILE_GRACE: '3s',
    BATCH_POLLER_ORPHAN_SWEEP_INTERVAL: '2s',
    // A dead instance's partitions move on after this: keeps restart tests short.
    BATCH_POLLER_SESSION_TIMEOUT: '6s',
    ...extra,
  };
}

/** Sim settings: batches end fast; no token pacing. */
export const SIM_ENV = {
  SIM_TOKENS_PER_SECOND: '0',
  SIM_TTFT_MS: '0',
  SIM_BATCH_PROCESSING_MS: '1500',
  SIM_BATCH_CANCEL_MS: '300',
} as const;

export interface SentJob {
  job: JobRecord;
  traceId: string;
}

export function batchJob(id: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return sampleJobRecord({
    job_id: id,
    tenant: 'acme',
    correlation_id: `corr-${id}`,
    mode: 'batch',
    model: 'claude-haiku-4-5',
    max_tokens: 64,
    messages: [{ role: 'user', content: `Say hello to ${id}` }],
    created_at: new Date().toISOString(),
    ...overrides,
  });
}

/** Produces jobs as dedupe writes them, each with a trace of its own. */
export async function produceJobs(
  producer: Producer,
  names: TopicNames,
  jobs: readonly JobRecord[],
): Promise<SentJob[]> {
  const sent = jobs.map((job) => ({ job, traceId: randomBytes(16).toString('hex') }));
  for (let i = 0; i < sent.length; i += 500) {
    await producer.send({
      topic: names.jobs,
      acks: -1,
      messages: sent.slice(i, i + 500).map(({ job, traceId }) => ({
        key: job.job_id,
        value: JSON.stringify(job),
        headers: {
          traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
          'correlation-id': job.correlation_id,
        },
      })),
    });
  }
  return sent;
}

export interface Collected {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: IHeaders;
}

export interface Collector {
  readonly records: Collected[];
  stop(): Promise<void>;
}

/** Reads a topic from the start with a group of its own, read_committed. */
export async function collect(kafka: Kafka, topic: string): Promise<Collector> {
  const records: Collected[] = [];
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      records.push({
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? null,
        value: message.value,
        headers: message.headers ?? {},
      });
    },
  });
  return { records, stop: () => consumer.disconnect() };
}

export const header = (headers: IHeaders, name: string): string | undefined => {
  const value = headers[name];
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return last?.toString();
};

export const resultsOf = (collector: Collector): ResultRecord[] =>
  collector.records
    .filter((r) => r.value !== null)
    .map((r) => JSON.parse(r.value!.toString()) as ResultRecord);

/** Job ids with more than one result. */
export function duplicates(results: readonly ResultRecord[]): string[] {
  const seen = new Map<string, number>();
  for (const r of results) seen.set(r.job_id, (seen.get(r.job_id) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
}

export interface SimStats {
  batches: { created: number; canceled: number; ended: number; running: number };
}

export interface Child {
  process: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

/** batch-poller as a real process (as `npm start` runs it). */
export function startChild(env: Record<string, string>): Child {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@claude-pipeline/source',
      join(workspaceRoot(), 'apps/batch-poller/src/main.ts'),
    ],
    {
      cwd: workspaceRoot(),
      env: { ...process.env, OTEL_SDK_DISABLED: 'true', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { process: child, exited, output: () => output };
}

export async function stopChild(child: Child | undefined): Promise<void> {
  if (!child || child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), 10_000);
  await child.exited;
  clearTimeout(timer);
}

export { waitFor };
