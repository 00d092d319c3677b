/**
 * bench/batch/run: one Message Batch of BENCH_REQUESTS requests (default 100,000) through
 * batch-poller, against anthropic-sim (real SDK) and the local broker.
 *   1. pack and submit: BENCH_REQUESTS batch jobs already on `pipeline.jobs` (1 partition),
 *      batch-poller started (as a child process, as `npm start` runs it); time from its start to
 *      the open batch record on `pipeline.batches` (read the jobs, commit the intent with the
 *      offsets, create the batch over HTTP, record it);
 *   2. results: time from the batch's first emitted result to the last one (Kafka transactions
 *      of BATCH_POLLER_RESULTS_CHUNK lines, each with a progress record), read from the service's
 *      `/metrics`; the results file is streamed from the sim, never loaded whole;
 *   3. peak RSS of the batch-poller process while it streams (sampled from /proc every 100 ms).
 * Writes bench/results/batch.md.
 *
 *   npm run bench:batch        (node --conditions=@claude-pipeline/source bench/batch/run.ts)
 *
 * Settings (env):
 *   BENCH_REQUESTS=100000          requests in the batch (BENCH_SHORT=1: 10,000, a quick check)
 *   BENCH_RESULTS_CHUNK=5000       BATCH_POLLER_RESULTS_CHUNK of the service
 *   BENCH_SIM_PROCESSING_MS=2000   how long the sim's batch runs
 *   BENCH_SERVICE=src|dist         run the service from its TypeScript sources (Node type
 *                                  stripping, default) or from dist/ as the image does (build
 *                                  first: npx nx run @claude-pipeline/batch-poller:build)
 *   BENCH_NODE_OPTIONS             Node flags of the service; default: the image's (ENV
 *                                  NODE_OPTIONS of apps/batch-poller/Dockerfile, read from it);
 *                                  BENCH_NODE_OPTIONS= for none
 *   BENCH_SERVICE_ENV              extra environment of the service only, `K=V K2=V2`; default:
 *                                  the image's glibc malloc settings (its ENV MALLOC_* line);
 *                                  BENCH_SERVICE_ENV= for none
 *   BENCH_STREAM_NODE_OPTIONS      Node flags of the restarted (streaming) service of run B
 *   BENCH_MEMORY_TRACE=1           print the service's memory (RSS, V8 heap spaces, external,
 *                                  array buffers) every second to stderr
 *   BENCH_RUNS=A|B                 only run A or only run B (both columns then show that run)
 *   BENCH_REPORT=path              where to write the report (default bench/results/batch.md)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import {
  buildTopicCatalog,
  localBroker,
  provisionTopics,
  topicNames,
} from '@claude-pipeline/kafka';
import { startSimProcess, uniqueName, waitFor, workspaceRoot } from '@claude-pipeline/testing';
import { writeReport } from '../report.ts';

const BROKERS = (process.env['KAFKA_BROKERS'] ?? localBroker()).split(',');
const SHORT = process.env['BENCH_SHORT'] === '1';
const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? (SHORT ? 10_000 : 100_000));
const SERVICE = process.env['BENCH_SERVICE'] === 'dist' ? 'dist' : 'src';
const TRACE = process.env['BENCH_MEMORY_TRACE'] === '1';
// The service runs with the image's Node flags and glibc malloc settings, read from its
// Dockerfile so the benchmark measures what ships.
const DOCKERFILE = readFileSync(join(workspaceRoot(), 'apps/batch-poller/Dockerfile'), 'utf8');
const IMAGE_NODE_OPTIONS = /^ENV NODE_OPTIONS="([^"]*)"/m.exec(DOCKERFILE)?.[1] ?? '';
const IMAGE_SERVICE_ENV = /^ENV (MALLOC_[^\n]*)$/m.exec(DOCKERFILE)?.[1]?.trim() ?? '';
if (!IMAGE_NODE_OPTIONS || !IMAGE_SERVICE_ENV) {
  throw new Error('apps/batch-poller/Dockerfile: ENV NODE_OPTIONS or ENV MALLOC_* not found');
}
const NODE_OPTIONS = process.env['BENCH_NODE_OPTIONS'] ?? IMAGE_NODE_OPTIONS;
const SERVICE_ENV_TEXT = process.env['BENCH_SERVICE_ENV'] ?? IMAGE_SERVICE_ENV;
const SERVICE_ENV = Object.fromEntries(
  SERVICE_ENV_TEXT.split(/\s+/)
    .filter((pair) => pair.includes('='))
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
const REPORT = process.env['BENCH_REPORT'] ?? join(workspaceRoot(), 'bench/results/batch.md');
const CHUNK = process.env['BENCH_RESULTS_CHUNK'] ?? '5000';
const PROCESSING_MS = process.env['BENCH_SIM_PROCESSING_MS'] ?? '2000';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

const kafka = new Kafka({ clientId: 'bench-batch', brokers: BROKERS, logLevel: logLevel.NOTHING });

async function scenario(restart: boolean) {
  const admin = kafka.admin();
  await admin.connect();
  const prefix = uniqueName('bench-batch').replace(/[^a-zA-Z0-9_-]/g, '_');
  const catalog = buildTopicCatalog({ prefix, partitions: 1, auxPartitions: 1 });
  await provisionTopics(admin, catalog.topics);
  const names = topicNames(prefix);

  const sim = await startSimProcess({
    SIM_TOKENS_PER_SECOND: '0',
    SIM_TTFT_MS: '0',
    SIM_BATCH_PROCESSING_MS: PROCESSING_MS,
  });

  // The jobs, as dedupe writes them (each with a trace of its own).
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const created = new Date().toISOString();
  const produceStarted = performance.now();
  for (let i = 0; i < REQUESTS; i += 2000) {
    const messages = [];
    for (let j = i; j < Math.min(REQUESTS, i + 2000); j += 1) {
      const id = `bench-${j}`;
      messages.push({
        key: id,
        value: JSON.stringify({
          schema_version: 1,
          job_id: id,
          tenant: 'bench',
          correlation_id: `corr-${id}`,
          generation: 1,
          mode: 'batch',
          model: 'claude-haiku-4-5',
          messages: [{ role: 'user', content: `Summarize ticket ${j} in one line.` }],
          max_tokens: 64,
          stream: false,
          created_at: created,
        }),
        headers: {
          traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
        },
      });
    }
    await producer.send({ topic: names.jobs, acks: -1, messages });
  }
  await producer.disconnect();
  const produceSeconds = (performance.now() - produceStarted) / 1000;

  const port = await freePort();
  const started = performance.now();
  // Run B's first process only packs: it polls too late to stream before it is stopped (on a
  // loaded machine it could otherwise emit part of the results before the SIGTERM lands).
  const startService = (nodeOptions = NODE_OPTIONS, pollInterval = restart ? '10m' : '500ms') =>
    spawn(
      process.execPath,
      SERVICE === 'dist'
        ? [join(workspaceRoot(), 'apps/batch-poller/dist/main.js')]
        : [
            '--conditions=@claude-pipeline/source',
            join(workspaceRoot(), 'apps/batch-poller/src/main.ts'),
          ],
      {
        cwd: workspaceRoot(),
        env: {
          ...process.env,
          OTEL_SDK_DISABLED: 'true',
          LOG_LEVEL: 'warn',
          NODE_OPTIONS: nodeOptions,
          KAFKA_BROKERS: BROKERS.join(','),
          KAFKA_TOPIC_PREFIX: prefix,
          ANTHROPIC_API_KEY: 'sk-ant-bench',
          ANTHROPIC_BASE_URL: sim.url,
          ANTHROPIC_TIMEOUT: '10m',
          BATCH_POLLER_HTTP_HOST: '127.0.0.1',
          BATCH_POLLER_HTTP_PORT: String(port),
          BATCH_POLLER_MAX_REQUESTS: String(REQUESTS),
          BATCH_POLLER_MAX_AGE: '10m',
          BATCH_POLLER_POLL_INTERVAL: pollInterval,
          BATCH_POLLER_POLL_MAX_INTERVAL: pollInterval === '500ms' ? '1s' : pollInterval,
          BATCH_POLLER_TICK: '100ms',
          BATCH_POLLER_RECONCILE_GRACE: '10m',
          BATCH_POLLER_RESULTS_CHUNK: CHUNK,
          ...SERVICE_ENV,
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
  let child = startService();
  let pid = child.pid ?? 0;
  const rssMb = (): number => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    } catch {
      return 0;
    }
  };
  /** RSS of the main malloc arena (the `[heap]` mapping): what glibc keeps of freed memory. */
  const brkMb = (): number => {
    try {
      const smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8');
      const at = smaps.indexOf('[heap]');
      if (at < 0) return 0;
      return Number(/Rss:\s+(\d+)/.exec(smaps.slice(at))?.[1] ?? 0) / 1024;
    } catch {
      return 0;
    }
  };
  /** CPU seconds (user + system) the service process has used: a measure the load does not skew. */
  const cpuSeconds = (): number => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime: clock ticks (100 Hz)
    } catch {
      return 0;
    }
  };
  const metric = async (pattern: RegExp): Promise<number> => {
    try {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return Number(pattern.exec(text)?.[1] ?? 0);
    } catch {
      return 0;
    }
  };
  const CREATED = /^pipeline_batch_created_total(?:\{[^}]*\})? (\d+)/m;
  const EMITTED = /^pipeline_batch_results_emitted_total\{status="succeeded"[^}]*\} (\d+)/m;

  const space = (text: string, name: string) =>
    Number(
      new RegExp(
        `^nodejs_heap_space_size_used_bytes\\{[^}]*space="${name}"[^}]*\\} ([0-9.e+]+)`,
        'm',
      ).exec(text)?.[1] ?? 0,
    ) /
    2 ** 20;
  const gauge = (text: string, name: string) =>
    Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? 0) / 2 ** 20;
  const traceStarted = performance.now();
  const tracer = TRACE
    ? setInterval(() => {
        void fetch(`http://127.0.0.1:${port}/metrics`)
          .then(async (r) => r.text())
          .then((text) => {
            const f = (n: number) => n.toFixed(0).padStart(4);
            process.stderr.write(
              `[mem ${restart ? 'B' : 'A'} ${((performance.now() - traceStarted) / 1000).toFixed(0).padStart(4)} s] ` +
                `rss ${f(rssMb())} brk ${f(brkMb())} heap ${f(gauge(text, 'nodejs_heap_size_used_bytes'))}/${f(gauge(text, 'nodejs_heap_size_total_bytes'))} ` +
                `new ${f(space(text, 'new'))} old ${f(space(text, 'old'))} lo ${f(space(text, 'large_object'))} code ${f(space(text, 'code'))} ` +
                `ext ${f(gauge(text, 'nodejs_external_memory_bytes'))} emitted ${Number(EMITTED.exec(text)?.[1] ?? 0)}\n`,
            );
          })
          .catch(() => undefined);
      }, 1000)
    : undefined;

  let peakPacking = 0;
  const packSampler = setInterval(() => (peakPacking = Math.max(peakPacking, rssMb())), 100);
  await waitFor(async () => (await metric(CREATED)) >= 1, {
    timeoutMs: 600_000,
    intervalMs: 100,
    description: 'the batch created and recorded',
  });
  const packSeconds = (performance.now() - started) / 1000;
  clearInterval(packSampler);
  if (restart) {
    // A fresh process streams: it restores pipeline.batches and resumes polling the open batch.
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    child = startService(process.env['BENCH_STREAM_NODE_OPTIONS'] ?? NODE_OPTIONS, '500ms');
    pid = child.pid ?? 0;
  }

  // Streaming: from the first emitted result to the last.
  let peakStreaming = 0;
  let firstAt = 0;
  // The service's own view of its memory (prom-client process metrics), at the RSS peak.
  let atPeak = { heapUsed: 0, heapTotal: 0, external: 0 };
  const memory = async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const mb = (name: string) =>
      Number(new RegExp(`^${name}\\{[^}]*\\} ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? 0) / 2 ** 20;
    return {
      heapUsed: mb('nodejs_heap_size_used_bytes'),
      heapTotal: mb('nodejs_heap_size_total_bytes'),
      external: mb('nodejs_external_memory_bytes'),
    };
  };
  const streamSampler = setInterval(() => {
    if (firstAt === 0) return;
    const rss = rssMb();
    if (rss <= peakStreaming) return;
    peakStreaming = rss;
    void memory()
      .then((m) => (atPeak = m))
      .catch(() => undefined);
  }, 100);
  await waitFor(async () => (await metric(EMITTED)) > 0, {
    timeoutMs: 600_000,
    intervalMs: 20,
    description: 'the first result',
  });
  firstAt = performance.now();
  const cpuAtFirst = cpuSeconds();
  const rssAtStart = rssMb();
  await waitFor(async () => (await metric(EMITTED)) >= REQUESTS, {
    timeoutMs: 600_000,
    intervalMs: 50,
    description: 'every result',
  });
  const streamSeconds = (performance.now() - firstAt) / 1000;
  const streamCpuSeconds = cpuSeconds() - cpuAtFirst;
  clearInterval(streamSampler);
  peakStreaming = Math.max(peakStreaming, rssAtStart);
  const rate = REQUESTS / streamSeconds;
  if (tracer) clearInterval(tracer);

  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  const simStats = (await sim.stats()) as { batches: unknown };
  const produced = produceSeconds;
  await sim.stop();
  await admin.deleteTopics({ topics: catalog.topics.map((t) => t.name) }).catch(() => undefined);
  await admin.disconnect();
  return {
    packSeconds,
    streamSeconds,
    streamCpuSeconds,
    rate,
    peakStreaming,
    peakPacking,
    simStats,
    produced,
    atPeak,
  };
}

// BENCH_RUNS=B: only run B (restarted before streaming), for exploring memory settings quickly;
// BENCH_RUNS=A: only run A (one process packs and streams). Both columns then show that run.
const ONLY_B = process.env['BENCH_RUNS'] === 'B';
const ONLY_A = process.env['BENCH_RUNS'] === 'A';
const same = await scenario(ONLY_B);
const fresh = ONLY_A || ONLY_B ? same : await scenario(true);
const produceSeconds = same.produced;
const simStats = same.simStats;

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const report = `# batch-poller: one ${fmt(REQUESTS)}-request Message Batch

Run ${new Date().toISOString()} by \`bench/batch/run.ts\`.

Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version};
Kafka single node on the same machine; anthropic-sim as its own process on the same machine (the
results file is generated and streamed by it). Load average at the end: ${loadavg()
  .map((l) => l.toFixed(2))
  .join(' ')} (2 cores: a load above 2 means the run
shared the machine, and its rates are then lower bounds).

Settings (service run from \`${SERVICE === 'dist' ? 'apps/batch-poller/dist/main.js' : 'apps/batch-poller/src/main.ts'}\`)${NODE_OPTIONS ? ` with \`NODE_OPTIONS=${NODE_OPTIONS}\`` : ' with no Node flags'}${SERVICE_ENV_TEXT ? ` and \`${SERVICE_ENV_TEXT}\`` : ''}: ${fmt(REQUESTS)} batch jobs on 1 partition of \`pipeline.jobs\` (produced beforehand in
${fmt(produceSeconds, 1)} s); batch-poller as a child process with
\`BATCH_POLLER_MAX_REQUESTS=${REQUESTS}\` (one batch), \`BATCH_POLLER_RESULTS_CHUNK=${CHUNK}\` result
lines per Kafka transaction, telemetry off; sim \`SIM_BATCH_PROCESSING_MS=${PROCESSING_MS}\`.

| measure | run A: one process packs and streams | run B: restarted before streaming | target |
|---|---:|---:|---:|
| pack and submit (start → intent committed → batch created → recorded) | ${fmt(same.packSeconds, 1)} s | ${fmt(fresh.packSeconds, 1)} s | — |
| result emission (first → last result committed) | ${fmt(same.streamSeconds, 1)} s | ${fmt(fresh.streamSeconds, 1)} s | — |
| result emission rate | ${fmt(same.rate)} results/s | ${fmt(fresh.rate)} results/s | ≥ 5,000 results/s |
| CPU of batch-poller while emitting (user + system; per result) | ${fmt(same.streamCpuSeconds, 1)} s (${fmt((same.streamCpuSeconds * 1e6) / REQUESTS)} µs) | ${fmt(fresh.streamCpuSeconds, 1)} s (${fmt((fresh.streamCpuSeconds * 1e6) / REQUESTS)} µs) | — |
| peak RSS of batch-poller while streaming | ${fmt(same.peakStreaming)} MB | ${fmt(fresh.peakStreaming)} MB | < 250 MB |
| V8 heap used / heap total / external at that peak | ${fmt(same.atPeak.heapUsed)} / ${fmt(same.atPeak.heapTotal)} / ${fmt(same.atPeak.external)} MB | ${fmt(fresh.atPeak.heapUsed)} / ${fmt(fresh.atPeak.heapTotal)} / ${fmt(fresh.atPeak.external)} MB | — |
| peak RSS of batch-poller while packing (all request bodies held until created) | ${fmt(same.peakPacking)} MB | ${fmt(fresh.peakPacking)} MB | — |

Run B stops the service (SIGTERM) once the batch is recorded and starts a new process, which
restores \`pipeline.batches\` and resumes polling: its streaming RSS is that of the streaming path
alone; in run A the heap the packing step grew is still mapped while it streams.

Pack-and-submit includes the process start, the restore of \`pipeline.batches\`, joining the
consumer groups, reading the ${fmt(REQUESTS)} jobs, one transaction with the intent (gzip) and
${fmt(REQUESTS)} \`batched\` statuses, and the create call (about ${fmt((REQUESTS * 150) / 1e6)} MB of JSON).
Emission includes, per line: decoding the JSONL line (SDK decoder, streamed), the outcome, the
result and status records with the job's own trace context, and the transactions.

Sim batch stats at the end: \`${JSON.stringify(simStats.batches)}\`.
`;
writeReport(REPORT, report);
process.stdout.write(report);
