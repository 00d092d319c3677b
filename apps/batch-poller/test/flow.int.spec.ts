/**
 * batch-poller in process against the real broker and anthropic-sim (real SDK): batch jobs end
 * as results, each continuing its own trace; realtime jobs are left alone.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { TopicNames } from '@claude-pipeline/kafka';
import type { ResultRecord } from '@claude-pipeline/schemas';
import { createLogger } from '@claude-pipeline/telemetry';
import { startSimProcess, testKafka, waitFor, type SimProcess } from '@claude-pipeline/testing';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { startBatchPoller, type BatchPoller } from '../src/batch-poller.ts';
import { loadConfig } from '../src/config.ts';
import {
  batchJob,
  collect,
  duplicates,
  header,
  pollerEnv,
  produceJobs,
  provisionPrefix,
  resultsOf,
  SIM_ENV,
  type Collector,
  type SimStats,
} from './support.ts';

const JOBS = 2000;
const logger = createLogger({ service: 'batch-poller', level: 'warn' });

describe('batch-poller (real broker, anthropic-sim)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let sim: SimProcess;
  let names: TopicNames;
  let poller: BatchPoller | undefined;
  const collectors: Collector[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
    sim = await startSimProcess(SIM_ENV);
  });

  afterEach(async () => {
    await poller?.stop();
    poller = undefined;
    await Promise.all(collectors.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    await producer.disconnect();
    await admin.disconnect();
    await sim.stop();
  });

  it('turns 2,000 batch jobs into 2,000 results, each in its own trace, at the batch price', async () => {
    names = await provisionPrefix(admin);
    const results = await collect(kafka, names.results);
    const statuses = await collect(kafka, names.status);
    collectors.push(results, statuses);
    poller = await startBatchPoller(
      loadConfig(pollerEnv(names, sim.url, { BATCH_POLLER_MAX_REQUESTS: '700' })),
      { logger },
    );
    const jobs = Array.from({ length: JOBS }, (_, i) => batchJob(`job-${i}`));
    const realtime = batchJob('rt-1', { mode: 'realtime' });
    const sent = await produceJobs(producer, names, [...jobs, realtime]);

    await waitFor(() => results.records.length >= JOBS, {
      timeoutMs: 90_000,
      intervalMs: 250,
      description: `${JOBS} results`,
    });
    const all = resultsOf(results);
    expect(duplicates(all)).toEqual([]);
    expect(new Set(all.map((r) => r.job_id))).toEqual(new Set(jobs.map((j) => j.job_id)));
    const traceOf = new Map(sent.map((s) => [s.job.job_id, s.traceId]));
    for (const record of results.records) {
      const result = JSON.parse(record.value!.toString()) as { job_id: string };
      const traceparent = header(record.headers, 'traceparent');
      expect(traceparent?.split('-')[1]).toBe(traceOf.get(result.job_id));
    }
    for (const result of all) {
      expect(result).toMatchObject({ status: 'succeeded', tier: 'batch', generation: 1 });
      if (result.status === 'succeeded') expect(result.cost_estimate_usd).toBeGreaterThan(0);
    }
    // The packing limit held: no batch above 700 requests (2,000 jobs need at least 3 batches).
    const stats = (await sim.stats()) as SimStats;
    expect(stats.batches.created).toBeGreaterThanOrEqual(3);
    expect(stats.batches.running).toBe(0);
    // batched then succeeded for every job.
    await waitFor(
      () => {
        const states = new Map<string, Set<string>>();
        for (const r of statuses.records) {
          const s = JSON.parse(r.value!.toString()) as { job_id: string; state: string };
          if (!states.has(s.job_id)) states.set(s.job_id, new Set());
          states.get(s.job_id)!.add(s.state);
        }
        return jobs.every((j) => {
          const set = states.get(j.job_id);
          return set?.has('batched') && set.has('succeeded');
        });
      },
      { timeoutMs: 30_000, description: 'batched and succeeded statuses' },
    );
    const metrics = await (await fetch(`${poller.url}/metrics`)).text();
    expect(metrics).toMatch(/pipeline_batch_results_emitted_total\{status="succeeded"[^}]*\} 2000/);
    expect(metrics).toMatch(/pipeline_batch_cost_saved_usd_total\{[^}]*\} [0-9.e-]+/);
  });

  it('polls an open batch at once when a control record names it', async () => {
    names = await provisionPrefix(admin);
    const results = await collect(kafka, names.results);
    const batches = await collect(kafka, names.batches);
    collectors.push(results, batches);
    // Polled every 10 minutes: only the control record can make it look before the test ends.
    poller = await startBatchPoller(
      loadConfig(
        pollerEnv(names, sim.url, {
          BATCH_POLLER_POLL_INTERVAL: '10m',
          BATCH_POLLER_POLL_MAX_INTERVAL: '10m',
        }),
      ),
      { logger },
    );
    const jobs = Array.from({ length: 5 }, (_, i) => batchJob(`ctl-${i}`));
    await produceJobs(producer, names, jobs);
    const batchIds = await waitFor(
      () => {
        const ids = batches.records
          .filter((r) => r.value !== null)
          .map((r) => JSON.parse(r.value!.toString()) as { type: string; batch_id?: string })
          .filter((v) => v.type === 'batch')
          .map((v) => v.batch_id!);
        const unique = [...new Set(ids)];
        const intents = batches.records.filter(
          (r) =>
            r.value !== null &&
            (JSON.parse(r.value.toString()) as { type: string }).type === 'intent',
        ).length;
        return intents > 0 && unique.length === intents ? unique : undefined;
      },
      { timeoutMs: 30_000, description: 'open batch records' },
    );
    const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: sim.url });
    for (const id of batchIds) {
      await waitFor(
        async () => (await client.messages.batches.retrieve(id)).processing_status === 'ended',
        { timeoutMs: 20_000, description: `batch ${id} ended` },
      );
    }
    // Ended, but nobody looks until told to.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(results.records).toHaveLength(0);
    await producer.send({
      topic: names.batchesControl,
      messages: batchIds.map((id) => ({
        key: id,
        value: JSON.stringify({
          schema_version: 1,
          batch_id: id,
          requested_at: new Date().toISOString(),
          reason: 'completion_notification',
        }),
      })),
    });
    await waitFor(() => results.records.length >= jobs.length, {
      timeoutMs: 20_000,
      description: 'results after the control record',
    });
    expect(new Set(resultsOf(results).map((r) => r.job_id))).toEqual(
      new Set(jobs.map((j) => j.job_id)),
    );
  });

  it('maps mixed outcomes: succeeded, invalid to DLQ, transient and expired re-packed, canceled failed', async () => {
    // A slow sim of its own: requests finish one by one over 10 s, so a cancel lands mid-way.
    const slow = await startSimProcess({ ...SIM_ENV, SIM_BATCH_PROCESSING_MS: '10000' });
    try {
      names = await provisionPrefix(admin, 1);
      const results = await collect(kafka, names.results);
      const batches = await collect(kafka, names.batches);
      const dlq = await collect(kafka, names.dlq('batch-poller'));
      collectors.push(results, batches, dlq);
      const ids = {
        invalid: 'mix-invalid',
        transient: 'mix-transient',
        expired: 'mix-expired',
      };
      await slow.admin('/_sim/faults', [
        {
          match: { custom_id: ids.invalid },
          action: { type: 'error', status: 400, error_type: 'invalid_request_error' },
        },
        { match: { custom_id: ids.transient }, action: { type: 'error', status: 500 }, times: 1 },
        { match: { custom_id: ids.expired }, action: { type: 'expire' }, times: 1 },
      ]);
      poller = await startBatchPoller(
        loadConfig(pollerEnv(names, slow.url, { BATCH_POLLER_MAX_AGE: '1s' })),
        { logger },
      );
      // Faulted jobs first: they finish first; the last ones are still unfinished at the cancel.
      const jobs = [
        batchJob(ids.invalid),
        batchJob(ids.transient),
        batchJob(ids.expired),
        batchJob('mix-ok-1'),
        ...Array.from({ length: 6 }, (_, i) => batchJob(`mix-late-${i}`)),
      ];
      await produceJobs(producer, names, jobs);
      const first = await waitFor(
        () => {
          const record = batches.records.find(
            (r) =>
              r.value !== null &&
              (JSON.parse(r.value.toString()) as { type: string }).type === 'batch',
          );
          return record
            ? (JSON.parse(record.value!.toString()) as { batch_id: string; created_at: string })
            : undefined;
        },
        { timeoutMs: 30_000, description: 'the open batch record' },
      );
      // Cancel (as an operator would) after about half the processing time.
      const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: slow.url });
      const wait = Date.parse(first.created_at) + 5500 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      await client.messages.batches.cancel(first.batch_id);

      await waitFor(() => results.records.length >= jobs.length, {
        timeoutMs: 60_000,
        intervalMs: 200,
        description: 'a result for every job',
      });
      const all = resultsOf(results);
      expect(duplicates(all)).toEqual([]);
      const byId = new Map(all.map((r) => [r.job_id, r]));
      expect(byId.get(ids.invalid)).toMatchObject({
        status: 'failed',
        error: { class: 'invalid', code: 'invalid_request_error', retriable: false },
      });
      // Re-packed into a later batch, where they succeed (the faults applied once).
      expect(byId.get(ids.transient)).toMatchObject({ status: 'succeeded', attempts: 2 });
      expect(byId.get(ids.expired)).toMatchObject({ status: 'succeeded', attempts: 2 });
      expect(byId.get('mix-ok-1')).toMatchObject({ status: 'succeeded', attempts: 1 });
      const canceled = all.filter(
        (r): r is Extract<ResultRecord, { status: 'failed' }> =>
          r.status === 'failed' && r.error.code === 'canceled',
      );
      expect(canceled.length).toBeGreaterThan(0);
      expect(canceled.every((r) => r.job_id.startsWith('mix-late-'))).toBe(true);
      // Only the invalid one reached the DLQ, with the original bytes and the error headers.
      await waitFor(() => dlq.records.length >= 1, { description: 'the DLQ record' });
      expect(dlq.records.map((r) => r.key)).toEqual([ids.invalid]);
      const dead = dlq.records[0]!;
      expect(JSON.parse(dead.value!.toString())).toMatchObject({
        job_id: ids.invalid,
        mode: 'batch',
      });
      expect(header(dead.headers, 'pipeline-error-class')).toBe('invalid');
      const stats = (await slow.stats()) as SimStats;
      expect(stats.batches.created).toBe(2);
      expect(stats.batches.running).toBe(0);
    } finally {
      await poller?.stop();
      poller = undefined;
      await slow.stop();
    }
  });

  it('splits the batches partitions between two replicas, each job still emitted once', async () => {
    names = await provisionPrefix(admin);
    const results = await collect(kafka, names.results);
    collectors.push(results);
    const env = pollerEnv(names, sim.url, { BATCH_POLLER_MAX_REQUESTS: '50' });
    const second = await startBatchPoller(loadConfig(env), { logger });
    try {
      poller = await startBatchPoller(loadConfig(env), { logger });
      const owned = async (p: BatchPoller) =>
        ((await (await fetch(`${p.url}/readyz`)).json()) as { owned: number[] }).owned;
      // After the second join both hold one partition of pipeline.batches.
      await waitFor(
        async () => {
          const [a, b] = [await owned(poller!), await owned(second)];
          return a.length === 1 && b.length === 1 && a[0] !== b[0];
        },
        { timeoutMs: 30_000, description: 'one batches partition each' },
      );
      const jobs = Array.from({ length: 600 }, (_, i) => batchJob(`rep-${i}`));
      await produceJobs(producer, names, jobs);
      await waitFor(() => results.records.length >= jobs.length, {
        timeoutMs: 60_000,
        description: 'a result per job',
      });
      const all = resultsOf(results);
      expect(duplicates(all)).toEqual([]);
      expect(new Set(all.map((r) => r.job_id))).toEqual(new Set(jobs.map((j) => j.job_id)));
      // Both replicas polled batches (each its own partition's).
      for (const p of [poller, second]) {
        const text = await (await fetch(`${p.url}/metrics`)).text();
        expect(text).toMatch(/pipeline_batch_polls_total\{trigger="schedule"[^}]*\} [1-9]/);
      }
    } finally {
      await second.stop();
    }
  });
});
