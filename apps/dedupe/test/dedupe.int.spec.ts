/**
 * dedupe in process against the real broker: each test provisions a topic set of its own and
 * counts what dedupe committed with read_committed readers.
 */
import { rmSync } from 'node:fs';
import { contracts, decode, HEADERS } from '@claude-pipeline/schemas';
import { createLogger } from '@claude-pipeline/telemetry';
import { testKafka, waitFor } from '@claude-pipeline/testing';
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { TopicNames } from '@claude-pipeline/kafka';
import { startDedupe, type Dedupe } from '../src/dedupe.ts';
import {
  collect,
  event,
  eventKey,
  header,
  produceEvents,
  provisionPrefix,
  stateDir,
  testConfig,
  waitForCommittedEnd,
  type Collector,
} from './support.ts';

const logger = createLogger({ service: 'dedupe', level: 'warn' });

describe('dedupe (real broker)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let names: TopicNames;
  const running: Dedupe[] = [];
  const collectors: Collector[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    producer = kafka.producer({ idempotent: true });
    await Promise.all([admin.connect(), producer.connect()]);
  });

  beforeEach(async () => {
    names = await provisionPrefix(admin);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((d) => d.stop()));
    await Promise.all(collectors.splice(0).map((c) => c.stop()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  afterAll(async () => {
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  });

  async function start(dir: string, env: Record<string, string> = {}): Promise<Dedupe> {
    const dedupe = await startDedupe(testConfig(names, dir, env), { logger });
    running.push(dedupe);
    await waitFor(() => dedupe.isReady(), { timeoutMs: 30_000, description: 'dedupe ready' });
    return dedupe;
  }

  async function stop(dedupe: Dedupe): Promise<void> {
    running.splice(running.indexOf(dedupe), 1);
    await dedupe.stop();
  }

  async function reader(topic: string, readUncommitted = false): Promise<Collector> {
    const c = await collect(kafka, topic, { readUncommitted });
    collectors.push(c);
    return c;
  }

  /** Waits until /metrics matches every pattern (counters move just after the commit). */
  async function metricsMatching(dedupe: Dedupe, ...patterns: RegExp[]): Promise<string> {
    return waitFor(
      async () => {
        const text = await (await fetch(`${dedupe.url}/metrics`)).text();
        return patterns.every((p) => p.test(text)) && text;
      },
      { description: `metrics matching ${patterns.join(', ')}` },
    );
  }

  const newDir = () => {
    const dir = stateDir();
    dirs.push(dir);
    return dir;
  };

  it('turns 5 deliveries of one event (3 in one batch, 1 later, 1 after a restart) into exactly one job; two tenants with the same key get two jobs', async () => {
    const jobs = await reader(names.jobs);
    const statuses = await reader(names.status);
    const changelog = await reader(names.dedupeChangelog);
    const dir = newDir();
    let dedupe = await start(dir);
    const groupId = dedupe.config.groupId;

    const first = event('acme', 'delivery-1');
    const otherTenant = event('globex', 'delivery-1');
    // One produce request, so dedupe gets these in one batch: read-your-writes within it.
    await produceEvents(producer, names, [first, first, otherTenant, first]);
    await waitForCommittedEnd(admin, groupId, names.events);
    await produceEvents(producer, names, [{ ...first, received_at: new Date().toISOString() }]);
    await waitForCommittedEnd(admin, groupId, names.events);

    const metrics = await metricsMatching(
      dedupe,
      /pipeline_dedupe_duplicates_total\{service="dedupe"\} 3/,
      /pipeline_kafka_produced_records_total\{topic="[^"]+\.jobs",service="dedupe"\} 2/,
    );
    expect(metrics).toContain('pipeline_dedupe_transaction_duration_seconds_bucket');
    expect(metrics).toContain('pipeline_dedupe_restore_duration_seconds_count');
    expect((await fetch(`${dedupe.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${dedupe.url}/healthz`)).status).toBe(200);

    // Restart on the same disk: the store restores its tail and still knows the key.
    await stop(dedupe);
    dedupe = await start(dir);
    await produceEvents(producer, names, [first]);
    await waitForCommittedEnd(admin, groupId, names.events);
    // And a new instance with an empty disk rebuilds the store from the changelog alone.
    await stop(dedupe);
    dedupe = await start(newDir());
    await produceEvents(producer, names, [first]);
    await waitForCommittedEnd(admin, groupId, names.events);

    await waitFor(() => jobs.records.length >= 2 && changelog.records.length >= 2, {
      description: 'two jobs and two changelog entries',
    });
    await new Promise((resolve) => setTimeout(resolve, 500)); // anything extra would show now
    expect(jobs.records).toHaveLength(2);
    const byTenant = new Map(
      jobs.records.map((r) => [decode(contracts.jobRecord, r.value).tenant, r]),
    );
    expect([...byTenant.keys()].sort()).toEqual(['acme', 'globex']);
    const acmeJob = byTenant.get('acme')!;
    expect(acmeJob.key).toBe(first.job.job_id);
    expect(JSON.parse(acmeJob.value!.toString())).toEqual(first.job);
    expect(header(acmeJob.headers, HEADERS.ceType)).toBe(contracts.jobRecord.ceType);
    expect(header(acmeJob.headers, HEADERS.correlationId)).toBe(first.job.correlation_id);

    expect(statuses.records).toHaveLength(2);
    for (const r of statuses.records) {
      const status = decode(contracts.statusRecord, r.value);
      expect(status.state).toBe('accepted');
      expect(r.key).toBe(status.job_id);
    }
    expect(changelog.records.map((r) => r.key).sort()).toEqual(
      [eventKey(first), eventKey(otherTenant)].sort(),
    );
    for (const r of changelog.records) {
      expect(decode(contracts.dedupeEntry, r.value).job_id).toMatch(/^(acme|globex)_/);
    }
  });

  it('writes a fetched batch larger than the topics allow per request in several requests of one transaction', async () => {
    // 50 events of ~150 KB, all on input partition 0 and fetched as one batch: ~7.5 MB of jobs
    // over 6 partitions, over the broker's 1 MB max.message.bytes per partition. One sendBatch
    // of it was refused whole, and the partition retried it for ever.
    const jobs = await reader(names.jobs);
    const dedupe = await start(newDir(), {
      DEDUPE_MAX_BATCH_RECORDS: '5000',
      DEDUPE_MAX_BYTES_PER_PARTITION: String(16 * 1024 * 1024),
    });
    const big = Array.from({ length: 50 }, (_, i) => {
      const e = event('acme', `big-${i}`);
      return {
        ...e,
        job: {
          ...e.job,
          messages: [{ role: 'user' as const, content: `${i} `.padEnd(150_000, 'x') }],
        },
      };
    });
    // Produced 5 at a time (each request under 1 MB); fetched together.
    for (let i = 0; i < big.length; i += 5) {
      await producer.send({
        topic: names.events,
        acks: -1,
        messages: big
          .slice(i, i + 5)
          .map((e) => ({ key: eventKey(e), value: JSON.stringify(e), partition: 0 })),
      });
    }
    await waitForCommittedEnd(admin, dedupe.config.groupId, names.events, 60_000);
    await waitFor(() => jobs.records.length >= 50, { description: '50 jobs' });
    expect(new Set(jobs.records.map((r) => r.key))).toEqual(new Set(big.map((e) => e.job.job_id)));
    // Output partitions got over 1 MB from this one transaction (so the split was needed).
    const bytesPerPartition = new Map<number, number>();
    for (const r of jobs.records)
      bytesPerPartition.set(
        r.partition,
        (bytesPerPartition.get(r.partition) ?? 0) + (r.value?.length ?? 0),
      );
    expect(Math.max(...bytesPerPartition.values())).toBeGreaterThan(1024 * 1024);
  }, 90_000);

  it('dead-letters poison records with their original bytes and keeps going', async () => {
    const jobs = await reader(names.jobs);
    const dlq = await reader(names.dlq('dedupe'));
    const dedupe = await start(newDir());
    const good1 = event('acme', 'p-1');
    const good2 = event('acme', 'p-2');
    const badSchema = { ...event('acme', 'p-3'), tenant: 'not a tenant!' };
    const poison = [
      {
        key: 'acme:garbage',
        value: Buffer.from([0xff, 0xfe, 0x00]),
        headers: { 'x-origin': 'test' },
      },
      { key: 'acme:tombstone', value: null },
      { key: eventKey(badSchema), value: JSON.stringify(badSchema) },
    ];
    // All on one partition, in one request: the poison sits between the good records.
    await producer.send({
      topic: names.events,
      acks: -1,
      messages: [
        { key: eventKey(good1), value: JSON.stringify(good1), partition: 0 },
        ...poison.map((m) => ({ ...m, partition: 0 })),
        { key: eventKey(good2), value: JSON.stringify(good2), partition: 0 },
      ],
    });
    await waitForCommittedEnd(admin, dedupe.config.groupId, names.events);
    await waitFor(() => jobs.records.length >= 2 && dlq.records.length >= 3, {
      description: '2 jobs and 3 dead letters',
    });
    expect(jobs.records.map((r) => r.key).sort()).toEqual(
      [good1.job.job_id, good2.job.job_id].sort(),
    );
    const dead = [...dlq.records].sort(
      (a, b) =>
        Number(header(a.headers, 'pipeline-original-offset')) -
        Number(header(b.headers, 'pipeline-original-offset')),
    );
    expect(dead.map((r) => r.key)).toEqual(poison.map((m) => m.key));
    expect(dead[0]!.value).toEqual(poison[0]!.value);
    expect(header(dead[0]!.headers, 'x-origin')).toBe('test');
    expect(dead[1]!.value).toBeNull();
    expect(dead[2]!.value!.toString()).toBe(poison[2]!.value);
    for (const r of dead) {
      expect(header(r.headers, 'pipeline-error-class')).toBe('invalid');
      expect(header(r.headers, 'pipeline-error-retriable')).toBe('false');
      expect(header(r.headers, 'pipeline-error-stage')).toBe('source');
      expect(header(r.headers, 'pipeline-original-topic')).toBe(names.events);
      expect(header(r.headers, 'pipeline-original-partition')).toBe('0');
    }
    expect(header(dead[2]!.headers, 'pipeline-error-message')).toContain('/tenant');
    await metricsMatching(
      dedupe,
      /pipeline_dlq_records_total\{[^}]*error_class="invalid"[^}]*\} 3/,
    );
  });

  it('tombstones a key after its window, and a later repeat becomes a new job', async () => {
    const jobs = await reader(names.jobs);
    const changelog = await reader(names.dedupeChangelog);
    const dedupe = await start(newDir(), {
      DEDUPE_WINDOW: '1s',
      DEDUPE_EXPIRY_INTERVAL: '200ms',
    });
    const e = event('acme', 'short-lived');
    await produceEvents(producer, names, [e, e]);
    await waitFor(() => jobs.records.length === 1, { description: 'first job' });
    await waitFor(() => changelog.records.some((r) => r.key === eventKey(e) && r.value === null), {
      description: 'tombstone of the expired key',
    });
    await metricsMatching(dedupe, /pipeline_dedupe_expired_keys_total\{service="dedupe"\} 1/);

    await produceEvents(producer, names, [{ ...e, received_at: new Date().toISOString() }]);
    await waitFor(() => jobs.records.length === 2, { description: 'second job' });
    await waitForCommittedEnd(admin, dedupe.config.groupId, names.events);
    expect(jobs.records.map((r) => r.key)).toEqual([e.job.job_id, e.job.job_id]);
  });

  it('two instances share the partitions; when one leaves, the other takes its partition over and still drops repeats', async () => {
    const jobs = await reader(names.jobs);
    const a = await start(newDir());
    const b = await start(newDir());
    await waitFor(
      async () => {
        const { groups } = await admin.describeGroups([a.config.groupId]);
        return groups[0]?.state === 'Stable' && groups[0].members.length === 2;
      },
      { timeoutMs: 30_000, description: 'both instances in the group' },
    );
    await waitFor(() => a.isReady() && b.isReady(), { description: 'both ready' });
    const events = Array.from({ length: 40 }, (_, i) => event('acme', `shared-${i}`));
    await produceEvents(producer, names, events);
    await waitForCommittedEnd(admin, a.config.groupId, names.events);
    await waitFor(() => jobs.records.length >= 40, { description: '40 jobs' });

    await stop(b);
    await produceEvents(producer, names, events);
    await waitForCommittedEnd(admin, a.config.groupId, names.events, 45_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(jobs.records).toHaveLength(40);
    expect(new Set(jobs.records.map((r) => r.key)).size).toBe(40);
  });
});
