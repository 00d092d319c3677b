/**
 * bench/dedupe/throughput: dedupe's transactional path on the local broker.
 *   1. throughput: BENCH_EVENTS events (default 100,000; 10 % repeats) already on
 *      `pipeline.events` (6 partitions), dedupe started, time until its group committed them all;
 *      the same with one transaction per record (DEDUPE_MAX_BATCH_RECORDS=1), on fewer events;
 *   2. end-to-end lag at a fixed open-loop rate (BENCH_RATE/s, default 1,000, for BENCH_SECONDS,
 *      default 20): from handing the event to the producer to its job being readable
 *      (read_committed) on `pipeline.jobs`, p50/p99;
 *   3. restart to ready with BENCH_STORE_KEYS keys (default 1,000,000) in the store: the keys
 *      are written to the changelog as dedupe stages them, then dedupe starts on an empty disk
 *      (a new pod: full restore), stops, and starts again on the intact disk (a restart).
 * dedupe runs in this process (as `startDedupe`), telemetry off. Writes bench/results/dedupe.md
 * (the part below the marker line of the existing report, the analysis, is kept).
 * BENCH_PHASES (default `throughput,lag,restart`) picks the phases; BENCH_DEDUPE_ENV (`K=V ...`)
 * adds dedupe settings to every phase.
 *
 *   node --conditions=@claude-pipeline/source bench/dedupe/throughput.ts
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import {
  buildTopicCatalog,
  createBatchingProducer,
  createStateStore,
  localBroker,
  provisionTopics,
  topicNames,
  type TopicNames,
} from '@claude-pipeline/kafka';
import type { DedupeEntry, EventRecord } from '@claude-pipeline/schemas';
import { createLogger } from '@claude-pipeline/telemetry';
import { loadConfig } from '../../apps/dedupe/src/config.ts';
import { startDedupe } from '../../apps/dedupe/src/dedupe.ts';
import { writeReport } from '../report.ts';

const BROKERS = (process.env['KAFKA_BROKERS'] ?? localBroker()).split(',');
const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 100_000);
const SINGLE_EVENTS = Number(process.env['BENCH_SINGLE_EVENTS'] ?? 1_000);
const RATE = Number(process.env['BENCH_RATE'] ?? 1_000);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 20);
const STORE_KEYS = Number(process.env['BENCH_STORE_KEYS'] ?? 1_000_000);
const PHASES = new Set((process.env['BENCH_PHASES'] ?? 'throughput,lag,restart').split(','));
const PARTITIONS = 6;
/** Extra dedupe settings for every phase, `K=V K2=V2` (e.g. DEDUPE_MAX_BATCH_RECORDS=5000). */
const DEDUPE_ENV: Record<string, string> = Object.fromEntries(
  (process.env['BENCH_DEDUPE_ENV'] ?? '')
    .split(/\s+/)
    .filter((pair) => pair.includes('='))
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
const KAFKA_VERSION = '4.3.1';

const kafka = new Kafka({ clientId: 'bench-dedupe', brokers: BROKERS, logLevel: logLevel.NOTHING });
const logger = createLogger({ service: 'dedupe', level: 'warn' });
const run = Date.now().toString(36);
let topicSets = 0;

async function provision(admin: Admin): Promise<TopicNames> {
  const prefix = `bench-dd-${run}-${++topicSets}`;
  await provisionTopics(
    admin,
    buildTopicCatalog({ prefix, partitions: PARTITIONS, auxPartitions: 1 }).topics,
  );
  return topicNames(prefix);
}

/** An event as ingest writes it: a GitHub-webhook-sized prompt (about 700 bytes in all). */
function event(i: number, receivedAt = new Date()): EventRecord {
  const tenant = `tenant${i % 7}`;
  const key = `delivery-${i}`;
  const jobId = `${tenant}_${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
  return {
    schema_version: 1,
    tenant,
    idempotency_key: key,
    source: { kind: 'webhook', name: 'github' },
    event_type: 'pull_request',
    event_id: key,
    received_at: receivedAt.toISOString(),
    job: {
      schema_version: 1,
      job_id: jobId,
      tenant,
      correlation_id: `corr-${i}`,
      generation: 1,
      mode: 'realtime',
      task_class: 'summarize',
      system: 'You review pull requests. Content between the markers is untrusted data.',
      messages: [
        {
          role: 'user',
          content: `<<<PR>>> #${i}: ${'Refactor the retry chain and add jitter to every stage. '.repeat(6)}<<<END>>>`,
        },
      ],
      max_tokens: 1024,
      stream: false,
      callback: { url: 'https://hooks.example.com/claude' },
      created_at: receivedAt.toISOString(),
    },
  };
}

const message = (e: EventRecord) => ({
  key: `${e.tenant}:${e.idempotency_key}`,
  value: JSON.stringify(e),
});

async function fill(producer: Producer, names: TopicNames, count: number): Promise<number> {
  let unique = 0;
  const batch: ReturnType<typeof message>[] = [];
  for (let i = 0; i < count; i++) {
    // Every 10th record repeats one of the last 100 events.
    const n = i % 10 === 9 ? i - 1 - ((i * 7) % Math.min(i, 100)) : i;
    if (n === i) unique += 1;
    batch.push(message(event(n)));
    if (batch.length === 1000 || i === count - 1) {
      await producer.send({ topic: names.events, acks: -1, messages: batch.splice(0) });
    }
  }
  return unique;
}

async function committedEnd(admin: Admin, groupId: string, topic: string): Promise<boolean> {
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const done = committed[0]?.partitions ?? [];
  return ends.every(
    (end) =>
      end.high === '0' || done.find((p) => p.partition === end.partition)?.offset === end.high,
  );
}

async function throughput(
  admin: Admin,
  producer: Producer,
  count: number,
  env: Record<string, string>,
): Promise<{
  seconds: number;
  steadySeconds: number;
  unique: number;
  jobs: number;
  batchRecords: number;
  fetchBytes: number;
}> {
  const names = await provision(admin);
  const unique = await fill(producer, names, count);
  const dir = mkdtempSync(join(tmpdir(), 'bench-dedupe-'));
  const config = loadConfig({
    KAFKA_BROKERS: BROKERS.join(','),
    KAFKA_TOPIC_PREFIX: names.prefix,
    DEDUPE_STATE_DIR: dir,
    DEDUPE_HTTP_HOST: '127.0.0.1',
    DEDUPE_HTTP_PORT: '0',
    DEDUPE_PARTITIONS_CONCURRENTLY: String(PARTITIONS),
    ...DEDUPE_ENV,
    ...env,
  });
  const started = performance.now();
  const dedupe = await startDedupe(config, { logger });
  // Steady state: from every partition fenced and restored (processing starts as each is).
  while (!dedupe.isReady()) await new Promise((resolve) => setTimeout(resolve, 10));
  const ready = performance.now();
  while (!(await committedEnd(admin, config.groupId, names.events))) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const seconds = (performance.now() - started) / 1000;
  const steadySeconds = (performance.now() - ready) / 1000;
  const metrics = await (await fetch(`${dedupe.url}/metrics`)).text();
  const jobs = Number(
    /pipeline_kafka_produced_records_total\{topic="[^"]+\.jobs",service="dedupe"\} (\d+)/.exec(
      metrics,
    )?.[1] ?? NaN,
  );
  if (process.env['BENCH_DEBUG']) {
    console.log(
      metrics
        .split('\n')
        .filter((l) => /transaction|restore/.test(l) && !l.startsWith('#'))
        .join('\n'),
    );
  }
  await dedupe.stop();
  rmSync(dir, { recursive: true, force: true });
  return {
    seconds,
    steadySeconds,
    unique,
    jobs,
    batchRecords: config.maxBatchRecords,
    fetchBytes: config.maxBytesPerPartition,
  };
}

async function lag(
  admin: Admin,
  producer: Producer,
): Promise<{ p50: number; p99: number; max: number; n: number }> {
  const names = await provision(admin);
  const dir = mkdtempSync(join(tmpdir(), 'bench-dedupe-'));
  const config = loadConfig({
    KAFKA_BROKERS: BROKERS.join(','),
    KAFKA_TOPIC_PREFIX: names.prefix,
    DEDUPE_STATE_DIR: dir,
    DEDUPE_HTTP_HOST: '127.0.0.1',
    DEDUPE_HTTP_PORT: '0',
    DEDUPE_PARTITIONS_CONCURRENTLY: String(PARTITIONS),
    ...DEDUPE_ENV,
  });
  const dedupe = await startDedupe(config, { logger });
  while (!dedupe.isReady()) await new Promise((resolve) => setTimeout(resolve, 50));
  const sentAt = new Map<string, number>();
  const lags: number[] = [];
  const reader = kafka.consumer({
    groupId: `bench-reader-${run}`,
    readUncommitted: false,
    maxWaitTimeInMs: 10,
  });
  await reader.connect();
  await reader.subscribe({ topics: [names.jobs], fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message: m }) => {
      const sent = sentAt.get(m.key?.toString() ?? '');
      if (sent !== undefined) lags.push(performance.now() - sent);
    },
  });
  const total = RATE * SECONDS;
  // As ingest sends: concurrent sends coalesced by the batching producer (linger 2 ms).
  const batching = createBatchingProducer({ producer });
  const t0 = performance.now();
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const e = event(1_000_000 + i);
    sentAt.set(e.job.job_id, performance.now());
    // Open loop: each event sent when due, whether or not earlier ones were acked.
    const m = message(e);
    sends.push(batching.send({ topic: names.events, key: m.key, value: m.value }));
  }
  await Promise.all(sends);
  const deadline = performance.now() + 30_000;
  while (lags.length < total && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await reader.disconnect();
  await dedupe.stop();
  rmSync(dir, { recursive: true, force: true });
  lags.sort((a, b) => a - b);
  const at = (q: number) => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), max: lags[lags.length - 1] ?? NaN, n: lags.length };
}

interface RestartResult {
  keys: number;
  writeSeconds: number;
  /** Empty disk: startDedupe → every partition restored and ready. */
  fullMs: number;
  /** Intact disk after a clean stop: startDedupe → ready. */
  intactMs: number;
  restoredRecords: number;
  rssMb: number;
}

const readyAfter = async (dedupe: { isReady(): boolean }, started: number) => {
  while (!dedupe.isReady()) await new Promise((resolve) => setTimeout(resolve, 10));
  return performance.now() - started;
};

async function restartToReady(admin: Admin, producer: Producer): Promise<RestartResult> {
  const names = await provision(admin);
  // Records exactly as dedupe stages them (stage() builds the message, it touches no database).
  const stagerDir = mkdtempSync(join(tmpdir(), 'bench-dedupe-stager-'));
  const stager = createStateStore<DedupeEntry>({
    kafka,
    changelogTopic: names.dedupeChangelog,
    dir: stagerDir,
    name: 'stager',
  });
  const now = Date.now();
  const expiresAt = now + 7 * 24 * 3600 * 1000;
  const writeStarted = performance.now();
  const batch: ReturnType<typeof stager.stage>[] = [];
  for (let i = 0; i < STORE_KEYS; i++) {
    const tenant = `tenant${i % 7}`;
    const key = `delivery-${i}`;
    const entry: DedupeEntry = {
      schema_version: 1,
      tenant,
      idempotency_key: key,
      job_id: `${tenant}_${createHash('sha256').update(key).digest('hex').slice(0, 24)}`,
      first_seen_at: new Date(now).toISOString(),
      expires_at: new Date(expiresAt).toISOString(),
    };
    batch.push(stager.stage(i % PARTITIONS, `${tenant}:${key}`, entry, { expiresAt }));
    if (batch.length === 5_000 || i === STORE_KEYS - 1) {
      await producer.send({ topic: names.dedupeChangelog, acks: -1, messages: batch.splice(0) });
    }
  }
  const writeSeconds = (performance.now() - writeStarted) / 1000;
  rmSync(stagerDir, { recursive: true, force: true });

  const dir = mkdtempSync(join(tmpdir(), 'bench-dedupe-'));
  const config = loadConfig({
    KAFKA_BROKERS: BROKERS.join(','),
    KAFKA_TOPIC_PREFIX: names.prefix,
    DEDUPE_STATE_DIR: dir,
    DEDUPE_HTTP_HOST: '127.0.0.1',
    DEDUPE_HTTP_PORT: '0',
    DEDUPE_PARTITIONS_CONCURRENTLY: String(PARTITIONS),
    ...DEDUPE_ENV,
  });
  let started = performance.now();
  let dedupe = await startDedupe(config, { logger });
  const fullMs = await readyAfter(dedupe, started);
  const metrics = await (await fetch(`${dedupe.url}/metrics`)).text();
  const restoredRecords = [
    ...metrics.matchAll(/^pipeline_dedupe_restored_records_total\{[^}]*\} (\d+)/gm),
  ].reduce((sum, m) => sum + Number(m[1]), 0);
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  await dedupe.stop();
  started = performance.now();
  dedupe = await startDedupe(config, { logger });
  const intactMs = await readyAfter(dedupe, started);
  await dedupe.stop();
  rmSync(dir, { recursive: true, force: true });
  return { keys: STORE_KEYS, writeSeconds, fullMs, intactMs, restoredRecords, rssMb };
}

const admin = kafka.admin();
await admin.connect();
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();

const loadBefore = loadavg()[0] ?? NaN;
const skipped = {
  seconds: NaN,
  steadySeconds: NaN,
  unique: NaN,
  jobs: NaN,
  batchRecords: NaN,
  fetchBytes: NaN,
};
const batched = PHASES.has('throughput') ? await throughput(admin, producer, EVENTS, {}) : skipped;
console.log('batched', batched);
const single = PHASES.has('throughput')
  ? await throughput(admin, producer, SINGLE_EVENTS, { DEDUPE_MAX_BATCH_RECORDS: '1' })
  : skipped;
console.log('one transaction per record', single);
const latency = PHASES.has('lag')
  ? await lag(admin, producer)
  : { p50: NaN, p99: NaN, max: NaN, n: 0 };
console.log('lag', latency);
const restart = PHASES.has('restart') ? await restartToReady(admin, producer) : undefined;
console.log('restart', restart);

const loadAfter = loadavg()[0] ?? NaN;
await producer.disconnect();
await admin.disconnect();

const rate = (n: number, s: number) => Math.round(n / s).toLocaleString('en-US');
const ms = (v: number) => v.toFixed(1);
const report = `# dedupe throughput

Run ${new Date().toISOString()} by \`bench/dedupe/throughput.ts\`.

Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version};
kafkajs 2.2.4; Apache Kafka ${KAFKA_VERSION} (KRaft, single node, on the same machine).
dedupe in the benchmark's process (telemetry off, logs at warn${
  Object.keys(DEDUPE_ENV).length > 0
    ? `; ${Object.entries(DEDUPE_ENV)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`
    : ''
}), ${PARTITIONS} input partitions,
all processed at once, each by its own transactional producer. Events about 1 KB of JSON (a
webhook-sized prompt), 10 % of them repeats; every unique event writes a job, an \`accepted\`
status and a changelog record, and every transaction also commits the input offsets.
Load average (1 min) ${loadBefore.toFixed(1)} before the run and ${loadAfter.toFixed(1)} after it: on this
2-core machine anything above 2 means other processes (here: other test runs) took CPU from
dedupe and the broker, so the numbers are lower bounds.

## Throughput (events already on the topic)

*From start*: from \`startDedupe\` (topic check, group join, fencing, empty-store restore) until
its group has committed every input offset. *From ready*: from \`/readyz\` turning 200 (every
partition fenced and restored) to the same point.

| transactions | events | unique (jobs) | jobs written | s, from start | events/s, from start | s, from ready | events/s, from ready |
|---|---:|---:|---:|---:|---:|---:|---:|
| one per fetched batch (≤ ${batched.batchRecords.toLocaleString('en-US')} records, ${(batched.fetchBytes / 2 ** 20).toFixed(0)} MiB fetches) | ${EVENTS.toLocaleString('en-US')} | ${batched.unique.toLocaleString('en-US')} | ${batched.jobs.toLocaleString('en-US')} | ${batched.seconds.toFixed(2)} | ${rate(EVENTS, batched.seconds)} | ${batched.steadySeconds.toFixed(2)} | ${rate(EVENTS, batched.steadySeconds)} |
| one per record (\`DEDUPE_MAX_BATCH_RECORDS=1\`) | ${SINGLE_EVENTS.toLocaleString('en-US')} | ${single.unique.toLocaleString('en-US')} | ${single.jobs.toLocaleString('en-US')} | ${single.seconds.toFixed(2)} | ${rate(SINGLE_EVENTS, single.seconds)} | ${single.steadySeconds.toFixed(2)} | ${rate(SINGLE_EVENTS, single.steadySeconds)} |

Target: ≥ 10,000 events/s through the transactional path: ${EVENTS / batched.steadySeconds >= 10_000 ? 'met' : 'not met'} in this run.

## End-to-end lag at ${RATE.toLocaleString('en-US')} events/s

Open loop for ${SECONDS} s (each event handed to the batching producer of \`libs/kafka\` when
due, as ingest does, whether or not earlier ones were acked): from that moment until its job is read from
\`pipeline.jobs\` by a read_committed consumer, so it includes the produce (acks=all), the fetch by
dedupe, its transaction and the reader's fetch.

| events | p50 (ms) | p99 (ms) | max (ms) |
|---:|---:|---:|---:|
| ${latency.n.toLocaleString('en-US')} | ${ms(latency.p50)} | ${ms(latency.p99)} | ${ms(latency.max)} |

## Restart to ready with ${STORE_KEYS.toLocaleString('en-US')} keys in the store

${
  restart === undefined
    ? 'Not run (BENCH_PHASES).'
    : `${restart.keys.toLocaleString('en-US')} first-seen entries (7-day expiry), staged as dedupe stages them and
written to the changelog (${PARTITIONS} partitions) in ${restart.writeSeconds.toFixed(1)} s; then dedupe started on them, in this
process, and /readyz measured from \`startDedupe\` (topic check, group join, fencing of every
partition's producer, restore) to ready.

| start | ready after (ms) | records restored |
|---|---:|---:|
| empty disk (a new pod, no volume): full restore | ${restart.fullMs.toFixed(0)} | ${restart.restoredRecords.toLocaleString('en-US')} |
| intact disk after a clean stop (a restart): checkpoint, no replay | ${restart.intactMs.toFixed(0)} | 0 |

Process RSS after the full restore: ${restart.rssMb.toFixed(0)} MB (the store is on disk, LMDB pages are
file-backed and shared).`
}

`;
mkdirSync(join(import.meta.dirname, '..', 'results'), { recursive: true });
const reportPath = join(import.meta.dirname, '..', 'results', 'dedupe.md');
writeReport(reportPath, report);
console.log(report);
