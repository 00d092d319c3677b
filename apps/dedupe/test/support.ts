/**
 * Helpers of dedupe's integration tests: a topic set of its own per test (unique prefix), events
 * as ingest writes them, and read_committed readers that count what dedupe committed.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildTopicCatalog,
  provisionTopics,
  topicNames,
  type TopicNames,
} from '@claude-pipeline/kafka';
import type { EventRecord } from '@claude-pipeline/schemas';
import { sampleEventRecord, sampleJobRecord } from '@claude-pipeline/schemas/testing';
import { LOCAL_BROKERS, uniqueName, waitFor } from '@claude-pipeline/testing';
import type { Admin, IHeaders, Kafka, Producer } from 'kafkajs';
import { loadConfig, type DedupeConfig } from '../src/config.ts';

/** Creates every topic of a fresh prefix (2 keyed partitions, 1 aux), as `npm run topics` would. */
export async function provisionPrefix(admin: Admin): Promise<TopicNames> {
  const prefix = uniqueName('dd').replace(/[^a-zA-Z0-9_-]/g, '_');
  const catalog = buildTopicCatalog({ prefix, partitions: 2, auxPartitions: 1 });
  const report = await provisionTopics(admin, catalog.topics);
  if (report.mismatches.length > 0) throw new Error(JSON.stringify(report.mismatches));
  return topicNames(prefix);
}

export function stateDir(): string {
  return mkdtempSync(join(tmpdir(), 'dedupe-int-'));
}

/** The env a dedupe of this test runs with (in process via loadConfig, or as a child). */
export function dedupeEnv(
  names: TopicNames,
  dir: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    KAFKA_BROKERS: LOCAL_BROKERS.join(','),
    KAFKA_TOPIC_PREFIX: names.prefix,
    DEDUPE_STATE_DIR: dir,
    DEDUPE_HTTP_HOST: '127.0.0.1',
    DEDUPE_HTTP_PORT: '0',
    // A dead instance's partitions move on after this: keeps restart tests short.
    DEDUPE_SESSION_TIMEOUT: '6s',
    ...extra,
  };
}

export function testConfig(
  names: TopicNames,
  dir: string,
  extra: Record<string, string> = {},
): DedupeConfig {
  return loadConfig(dedupeEnv(names, dir, extra));
}

/** A job id as ingest derives it: deterministic in (tenant, idempotency key). */
export function jobIdOf(tenant: string, idempotencyKey: string): string {
  return `${tenant}_${createHash('sha256').update(`${tenant}\n${idempotencyKey}`).digest('hex').slice(0, 24)}`;
}

export function event(
  tenant: string,
  idempotencyKey: string,
  overrides: Partial<EventRecord> = {},
): EventRecord {
  const jobId = jobIdOf(tenant, idempotencyKey);
  return sampleEventRecord({
    tenant,
    idempotency_key: idempotencyKey,
    received_at: new Date().toISOString(),
    job: sampleJobRecord({ job_id: jobId, tenant, correlation_id: `corr-${jobId}` }),
    ...overrides,
  });
}

export const eventKey = (e: EventRecord) => `${e.tenant}:${e.idempotency_key}`;

export async function produceEvents(
  producer: Producer,
  names: TopicNames,
  events: readonly EventRecord[],
): Promise<void> {
  await producer.send({
    topic: names.events,
    acks: -1,
    messages: events.map((e) => ({ key: eventKey(e), value: JSON.stringify(e) })),
  });
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

/** Reads a topic from the start with a group of its own; read_committed unless told otherwise. */
export async function collect(
  kafka: Kafka,
  topic: string,
  { readUncommitted = false }: { readUncommitted?: boolean } = {},
): Promise<Collector> {
  const records: Collected[] = [];
  const consumer = kafka.consumer({
    groupId: uniqueName('reader'),
    readUncommitted,
    maxWaitTimeInMs: 100,
  });
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

/** Waits until dedupe's group has committed every record of the input topic. */
export async function waitForCommittedEnd(
  admin: Admin,
  groupId: string,
  topic: string,
  timeoutMs = 30_000,
): Promise<void> {
  await waitFor(
    async () => {
      const [ends, committed] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId, topics: [topic] }),
      ]);
      const done = committed[0]?.partitions ?? [];
      return ends.every((end) => {
        const c = done.find((p) => p.partition === end.partition);
        // A partition never written to has nothing to commit.
        return end.high === '0' || c?.offset === end.high;
      });
    },
    { timeoutMs, description: `${groupId} committed to the end of ${topic}` },
  );
}

export const header = (headers: IHeaders, name: string): string | undefined => {
  const value = headers[name];
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return last?.toString();
};
