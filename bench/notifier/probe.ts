/**
 * bench/notifier/probe: a diagnostic run of the throughput scenario (healthy endpoints, receivers
 * in process) that prints every 500 ms: produce batches (count, records, latency), CPU use,
 * event-loop lag, deliveries received, records by outcome (ok / retry / dlq), in flight and
 * routed to retry stages; at the end, the error messages of the status attempts (why records
 * were shed). Env: BENCH_RESULTS (default 3000), PROBE_ENV (JSON of notifier env overrides).
 * Run: node --conditions=@claude-pipeline/source bench/notifier/probe.ts
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { resultFor, startHarness, waitFor } from '../../apps/notifier/test/support/harness.ts';
import { startReceiver, type Receiver } from '../../apps/notifier/test/support/receiver.ts';

const N = Number(process.env['BENCH_RESULTS'] ?? 3000);
const ENDPOINTS = 10;
const h = await startHarness();
const receivers: Receiver[] = [];
for (let i = 0; i < ENDPOINTS; i += 1) receivers.push(await startReceiver({}));
const extra = JSON.parse(process.env['PROBE_ENV'] ?? '{}') as Record<string, string>;
const sendStats = { batches: 0, records: 0, ms: 0, maxMs: 0, inflight: 0, maxInflight: 0 };
const wrapped = Object.create(h.kafka) as typeof h.kafka;
wrapped.producer = (cfg) => {
  const p = h.kafka.producer(cfg);
  const orig = p.sendBatch.bind(p);
  p.sendBatch = async (b) => {
    const t = performance.now();
    sendStats.inflight += 1;
    sendStats.maxInflight = Math.max(sendStats.maxInflight, sendStats.inflight);
    try {
      return await orig(b);
    } finally {
      sendStats.inflight -= 1;
      const d = performance.now() - t;
      sendStats.batches += 1;
      sendStats.records += b.topicMessages?.reduce((n, tm) => n + tm.messages.length, 0) ?? 0;
      sendStats.ms += d;
      sendStats.maxMs = Math.max(sendStats.maxMs, d);
    }
  };
  return p;
};
const notifier = await h.start(
  {
    NOTIFIER_TIMEOUT_MS: '10000',
    NOTIFIER_MAX_IN_FLIGHT: '500',
    NOTIFIER_DESTINATION_CONCURRENCY: '64',
    NOTIFIER_RETRY_DELAYS_MS: '60000',
    LOG_LEVEL: 'error',
    ...extra,
  },
  { kafka: wrapped },
);
await waitFor(() => notifier.ready, { description: 'ready', timeoutMs: 30_000 });
const results = Array.from({ length: N }, (_, i) =>
  resultFor(`${receivers[i % ENDPOINTS]?.url ?? ''}/cb`, 'ok'),
);
const statuses = await h.read(h.names.status);
const t0 = performance.now();
const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();
let lastCpu = process.cpuUsage();
let lastT = performance.now();
const sample = async () => {
  const c = process.cpuUsage(lastCpu);
  const dt = performance.now() - lastT;
  lastCpu = process.cpuUsage();
  lastT = performance.now();
  const lag = (eld.max / 1e6).toFixed(0);
  eld.reset();
  const cpu = (((c.user + c.system) / 1000 / dt) * 100).toFixed(0);
  const m = await notifier.metrics.registry.getMetricsAsJSON();
  const pick = (name: string) =>
    (m.find((x) => x.name === name)?.values ?? [])
      .map((v) => `${Object.values(v.labels).join('/')}=${v.value}`)
      .join(' ');
  const got = receivers.reduce((n, r) => n + r.received.length, 0);
  const sb = `batches=${sendStats.batches} recs=${sendStats.records} avgms=${(sendStats.ms / Math.max(1, sendStats.batches)).toFixed(0)} maxms=${sendStats.maxMs.toFixed(0)}`;
  Object.assign(sendStats, { batches: 0, records: 0, ms: 0, maxMs: 0 });
  console.log(
    `${sb} ${((performance.now() - t0) / 1000).toFixed(1)}s cpu=${cpu}% maxlag=${lag}ms recv=${got} processed[${pick('pipeline_records_processed_total')}] inflight[${pick('pipeline_inflight_messages')}] retry[${pick('pipeline_retry_records_total')}]`,
  );
};
const iv = setInterval(() => void sample(), 500);
for (let i = 0; i < results.length; i += 500) await h.sendResults(results.slice(i, i + 500));
console.log(`produced in ${((performance.now() - t0) / 1000).toFixed(2)}s`);
await waitFor(() => receivers.reduce((n, r) => n + r.received.length, 0) >= N, {
  timeoutMs: 300_000,
  intervalMs: 20,
  description: 'all',
});
const s = (performance.now() - t0) / 1000;
clearInterval(iv);
await sample();
console.log(`DONE ${N} in ${s.toFixed(2)}s = ${(N / s).toFixed(0)}/s`);
const reasons = new Map<string, number>();
for (const r of statuses) {
  const j = r.json as { attempts?: { error?: { message: string } }[] };
  for (const a of j.attempts ?? []) {
    const m = (a.error?.message ?? '').replace(/[0-9]+/g, 'N').slice(0, 90);
    if (m) reasons.set(m, (reasons.get(m) ?? 0) + 1);
  }
}
console.log('status error reasons:', reasons);
await notifier.abort();
await Promise.all(receivers.map((r) => r.close()));
await h.close();
process.exit(0);
