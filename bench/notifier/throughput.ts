/**
 * bench/notifier/throughput: deliveries per second from pipeline.results to local keep-alive
 * receivers, (1) ten healthy endpoints, (2) the same with one of the ten hanging until the
 * delivery timeout. Uses the notifier's own test harness (real broker, unique topics); the
 * receivers run in a child process (receivers.ts) so only the notifier's work is on this
 * process's event loop and CPU. Writes bench/results/notifier.md.
 * Run: npm run bench:notifier (needs the local broker). Env: BENCH_RESULTS (default 6000),
 * BENCH_OUT (report path, default bench/results/notifier.md), BENCH_RUNS (default 1: runs of
 * each scenario; the report shows each), BENCH_WARMUP (default 2000: results of a first,
 * unreported run that warms the JIT up), BENCH_NOTIFIER_DIR (another copy of apps/notifier, for
 * before/after rows). Short mode for a quick check: BENCH_RESULTS=1000 BENCH_WARMUP=0.
 * CPU profile: node_modules/node/bin/node --cpu-prof --cpu-prof-dir=/tmp/prof
 * --conditions=@claude-pipeline/source bench/notifier/throughput.ts (Node 24 is the workspace's
 * `node` package; /usr/bin/node may be older).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as HarnessModule from '../../apps/notifier/test/support/harness.ts';
import { writeReport } from '../report.ts';

const N = Number(process.env['BENCH_RESULTS'] ?? 6000);
/** Results of an unreported first run that warms the JIT up (0: none). */
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 2000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 1);
const ENDPOINTS = 10;
const here = dirname(fileURLToPath(import.meta.url));
/**
 * The notifier under test: its app folder (BENCH_NOTIFIER_DIR, default apps/notifier). Pointing
 * it at a copy of an older version of the app measures before and after on the same machine
 * under the same load.
 */
const appDir = process.env['BENCH_NOTIFIER_DIR'] ?? join(here, '../../apps/notifier');
const { resultFor, startHarness, waitFor } = (await import(
  join(appDir, 'test/support/harness.ts')
)) as typeof HarnessModule;

interface Receivers {
  urls: string[];
  counts(): Promise<{ counts: number[]; spans: [number, number][] }>;
  close(): Promise<void>;
}

async function startReceivers(hangFirst: boolean): Promise<Receivers> {
  const child: ChildProcess = fork(join(here, 'receivers.ts'), [], {
    env: { ...process.env, RECEIVERS: String(ENDPOINTS), HANG_FIRST: hangFirst ? '1' : '0' },
    execArgv: ['--conditions=@claude-pipeline/source'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T>(key: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: Record<string, unknown>) => {
        if (key in m) {
          child.off('message', onMessage);
          child.off('exit', onExit);
          resolve(m as T);
        }
      };
      const onExit = (code: number | null) => reject(new Error(`receivers exited (${code})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const { urls } = await next<{ urls: string[] }>('urls');
  return {
    urls,
    async counts() {
      const reply = next<{ counts: number[]; spans: [number, number][] }>('counts');
      child.send({ type: 'count' });
      return reply;
    },
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'close' });
      await exited;
    },
  };
}

interface Run {
  healthy: number;
  seconds: number;
  rate: number;
  /** Healthy deliveries per second from the first healthy delivery to the last. */
  steadyRate: number;
  /** CPU time of this process (notifier + broker client + the bench's producer) per delivery. */
  cpuMsPerDelivery: number;
  loadBefore: string;
  loadAfter: string;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');

async function run(hangOne: boolean, n = N): Promise<Run> {
  const h = await startHarness();
  const receivers = await startReceivers(hangOne);
  try {
    const notifier = await h.start({
      NOTIFIER_TIMEOUT_MS: '10000',
      NOTIFIER_MAX_IN_FLIGHT: '500',
      NOTIFIER_DESTINATION_CONCURRENCY: '64',
      NOTIFIER_RETRY_DELAYS_MS: '60000',
      LOG_LEVEL: 'error',
    });
    await waitFor(() => notifier.ready, { description: 'notifier ready', timeoutMs: 30_000 });
    const results = Array.from({ length: n }, (_, i) => {
      const url = receivers.urls[i % ENDPOINTS] ?? '';
      return resultFor(`${url}/cb`, hangOne && i % ENDPOINTS === 0 ? 'hang' : 'ok');
    });
    const expected = results.filter((r) => r.job_id.startsWith('ok_')).length;
    const healthy = (i: number) => !(hangOne && i === 0);
    let spans: [number, number][] = [];
    const healthyCount = async () => {
      const reply = await receivers.counts();
      spans = reply.spans;
      return reply.counts.reduce((n, c, i) => (healthy(i) ? n + c : n), 0);
    };
    const loadBefore = load();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    // In requests of 500 (the broker's 1 MB request limit).
    for (let i = 0; i < results.length; i += 500) await h.sendResults(results.slice(i, i + 500));
    let delivered = 0;
    await waitFor(async () => (delivered = await healthyCount()) >= expected, {
      timeoutMs: 300_000,
      intervalMs: 20,
      description: `${expected} healthy deliveries`,
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await healthyCount();
    const healthySpans = spans.filter((_, i) => healthy(i));
    const first = Math.min(...healthySpans.map(([a]) => a));
    const last = Math.max(...healthySpans.map(([, b]) => b));
    await notifier.abort();
    return {
      healthy: delivered,
      seconds,
      rate: expected / seconds,
      steadyRate: (expected - 1) / Math.max(0.001, (last - first) / 1000),
      cpuMsPerDelivery: (cpu.user + cpu.system) / 1000 / expected,
      loadBefore,
      loadAfter: load(),
    };
  } finally {
    await receivers.close();
    await h.close();
  }
}

if (WARMUP > 0) await run(false, WARMUP);
const healthyRuns: Run[] = [];
const hangRuns: Run[] = [];
for (let i = 0; i < RUNS; i += 1) {
  healthyRuns.push(await run(false));
  hangRuns.push(await run(true));
}
const best = (runs: Run[]) => runs.reduce((a, b) => (b.rate > a.rate ? b : a));
const ratio = best(hangRuns).rate / best(healthyRuns).rate;
const f = (n: number) => Math.round(n).toLocaleString('en-US');
const row = (name: string, r: Run) =>
  `| ${name} | ${f(r.healthy)} | ${r.seconds.toFixed(2)} | ${f(r.rate)} | ${f(r.steadyRate)} | ${r.cpuMsPerDelivery.toFixed(2)} | ${r.loadBefore} → ${r.loadAfter} |`;
const report = `# notifier throughput

Run ${new Date().toISOString()} by \`bench/notifier/throughput.ts\`, notifier from \`${relative(process.cwd(), appDir) || '.'}\`.

Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version};
Kafka 4.3.1 (single node, same machine). Settings: ${N.toLocaleString('en-US')} results on 2 partitions,
${ENDPOINTS} local keep-alive HTTP receivers (in a child process), in-flight 500 per partition, 64
connections per destination, delivery timeout 10 s, first retry stage 60 s (so a record shed to
a retry stage shows as a minute-long run); time from producing the results to the last healthy
delivery received (includes producing them and the consumer's start on the topic); "first → last
delivery" is the rate between the first and the last healthy delivery at the receivers (no
produce, no group join). CPU ms per
delivery: CPU time of the benchmark process (notifier, its Kafka client and the benchmark's own
producer; not the receivers, not the broker) divided by the healthy deliveries. The machine was
shared with other engineers' test runs: the load average (1 / 5 / 15 min) before and after each
run is in the table; anything above 2 means processes were waiting for one of the 2 cores.
${WARMUP > 0 ? `Each process first ran an unreported warm-up of ${WARMUP.toLocaleString('en-US')} results (JIT, connection pools).` : 'No warm-up run.'}

| run | healthy deliveries | seconds | deliveries/s | first → last delivery, /s | CPU ms / delivery | load before → after |
|---|---:|---:|---:|---:|---:|---|
${[...healthyRuns.map((r) => row('10 healthy endpoints', r)), ...hangRuns.map((r) => row('1 of 10 endpoints hangs (10 s timeout)', r))].join('\n')}

Healthy throughput with one endpoint hanging: ${(ratio * 100).toFixed(0)} % of the first run (best of each; target: within 10 %).
Target for the first run: ≥ 2,000 deliveries/s.
`;
const outPath = process.env['BENCH_OUT'] ?? join(process.cwd(), 'bench/results/notifier.md');
mkdirSync(dirname(outPath), { recursive: true });
writeReport(outPath, report);
console.log(report);
process.exit(0);
