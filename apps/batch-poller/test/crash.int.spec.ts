/**
 * batch-poller as a real process, crashed (SIGKILL, no cleanup) by a failpoint at each packing
 * step or killed while a batch is open, then restarted: no job is packed twice, every job gets
 * exactly one result, and no batch is left running (anthropic-sim's stats).
 */
import type { TopicNames } from '@claude-pipeline/kafka';
import { startSimProcess, testKafka, waitFor, type SimProcess } from '@claude-pipeline/testing';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { FAILPOINTS } from '../src/packer.ts';
import {
  batchJob,
  collect,
  duplicates,
  pollerEnv,
  produceJobs,
  provisionPrefix,
  resultsOf,
  startChild,
  stopChild,
  type Child,
  type Collector,
  type SimStats,
} from './support.ts';

const JOBS = 40;

describe('batch-poller crash and restart (child process, real broker, anthropic-sim)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let sim: SimProcess;
  let names: TopicNames;
  let child: Child | undefined;
  const collectors: Collector[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
    sim = await startSimProcess({
      SIM_TOKENS_PER_SECOND: '0',
      SIM_TTFT_MS: '0',
      SIM_BATCH_PROCESSING_MS: '3000',
    });
  });

  beforeEach(async () => {
    await sim.admin('/_sim/reset');
    names = await provisionPrefix(admin);
  });

  afterEach(async () => {
    await stopChild(child);
    child = undefined;
    await Promise.all(collectors.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    await producer.disconnect();
    await admin.disconnect();
    await sim.stop();
  });

  /** Job ids in packing intents written by the packer (not re-packs), counted per job. */
  const packedCounts = (batches: Collector): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const record of batches.records) {
      if (record.value === null) continue;
      const value = JSON.parse(record.value.toString()) as {
        type: string;
        repack?: boolean;
        jobs?: { job_id: string }[];
      };
      if (value.type !== 'intent' || value.repack) continue;
      for (const job of value.jobs ?? []) counts.set(job.job_id, (counts.get(job.job_id) ?? 0) + 1);
    }
    return counts;
  };

  const expectCleanEnd = async (results: Collector, batches: Collector, jobIds: string[]) => {
    await waitFor(() => results.records.length >= jobIds.length, {
      timeoutMs: 60_000,
      intervalMs: 200,
      description: `${jobIds.length} results`,
    });
    const all = resultsOf(results);
    expect(duplicates(all)).toEqual([]);
    expect(new Set(all.map((r) => r.job_id))).toEqual(new Set(jobIds));
    expect(all.every((r) => r.status === 'succeeded')).toBe(true);
    const packed = packedCounts(batches);
    expect([...packed.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(packed.keys())).toEqual(new Set(jobIds));
    const stats = await waitFor(
      async () => {
        const s = (await sim.stats()) as SimStats;
        return s.batches.running === 0 ? s : undefined;
      },
      { timeoutMs: 20_000, description: 'no batch running' },
    );
    return stats;
  };

  const crashAt = async (point: string) => {
    const results = await collect(kafka, names.results);
    const batches = await collect(kafka, names.batches);
    collectors.push(results, batches);
    const jobs = Array.from({ length: JOBS }, (_, i) => batchJob(`job-${point.length}-${i}`));
    await produceJobs(producer, names, jobs);
    const first = startChild({
      ...pollerEnv(names, sim.url, { BATCH_POLLER_MAX_AGE: '1s' }),
      PIPELINE_FAILPOINTS: `${point}=crash`,
    });
    child = first;
    const exit = await Promise.race([
      first.exited,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 60_000)),
    ]);
    expect(exit?.signal).toBe('SIGKILL');
    expect(first.output()).not.toMatch(/"level":(50|60)/);
    child = startChild(pollerEnv(names, sim.url));
    return { results, batches, jobIds: jobs.map((j) => j.job_id) };
  };

  it('crash after the intent: the restarted service creates the batch once', async () => {
    const { results, batches, jobIds } = await crashAt(FAILPOINTS.afterIntent);
    const stats = await expectCleanEnd(results, batches, jobIds);
    // Two partitions each packed an intent; the crash left one without a batch.
    expect(stats.batches.created).toBeLessThanOrEqual(2);
    expect(stats.batches.canceled).toBe(0);
  });

  it('crash after creating the batch: the restarted service adopts it (no second batch)', async () => {
    const { results, batches, jobIds } = await crashAt(FAILPOINTS.afterCreate);
    const stats = await expectCleanEnd(results, batches, jobIds);
    expect(stats.batches.created).toBeLessThanOrEqual(2);
    expect(stats.batches.canceled).toBe(0);
  });

  it('crash after recording the batch: the restarted service polls it and emits its results', async () => {
    const { results, batches, jobIds } = await crashAt(FAILPOINTS.afterRecord);
    const stats = await expectCleanEnd(results, batches, jobIds);
    expect(stats.batches.created).toBeLessThanOrEqual(2);
  });

  it('killed while a batch is open: the restarted service resumes polling and emits its results', async () => {
    await sim.admin('/_sim/reset');
    const results = await collect(kafka, names.results);
    const batches = await collect(kafka, names.batches);
    collectors.push(results, batches);
    const jobs = Array.from({ length: JOBS }, (_, i) => batchJob(`open-${i}`));
    await produceJobs(producer, names, jobs);
    const first = startChild(
      pollerEnv(names, sim.url, {
        BATCH_POLLER_POLL_INTERVAL: '10m',
        BATCH_POLLER_POLL_MAX_INTERVAL: '10m',
      }),
    );
    child = first;
    // Wait for the open batch records, then kill before any poll (the interval is 10 minutes).
    await waitFor(
      () =>
        batches.records.some(
          (r) =>
            r.value !== null &&
            (JSON.parse(r.value.toString()) as { type: string }).type === 'batch',
        ),
      { timeoutMs: 30_000, description: 'an open batch record' },
    );
    first.process.kill('SIGKILL');
    await first.exited;
    expect(results.records).toHaveLength(0);
    // The restarted one resumes: a batch created before the restart is due at once.
    child = startChild(pollerEnv(names, sim.url, { BATCH_POLLER_POLL_INTERVAL: '1s' }));
    await expectCleanEnd(
      results,
      batches,
      jobs.map((j) => j.job_id),
    );
    // Every open batch record ends tombstoned.
    const live = new Map<string, boolean>();
    for (const r of batches.records) live.set(r.key ?? '', r.value !== null);
    await waitFor(
      () => {
        const l = new Map<string, boolean>();
        for (const r of batches.records) l.set(r.key ?? '', r.value !== null);
        return [...l.values()].every((v) => !v);
      },
      { timeoutMs: 20_000, description: 'every batches key tombstoned' },
    );
  });
});
