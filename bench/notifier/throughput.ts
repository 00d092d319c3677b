/**
 * bench/notifier/throughput: deliveries per second from pipeline.results to local keep-alive
 * receivers, (1) ten healthy endpoints, (2) the same with one of the ten hanging until the
 * delivery timeout. Uses the notifier's own test harness (real broker, unique topics).
 * Writes bench/results/notifier.md. Run: npm run bench:notifier (needs the local broker).
 */
import { cpus, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resultFor, startHarness, waitFor } from '../../apps/notifier/test/support/harness.ts';
import { startReceiver, type Receiver } from '../../apps/notifier/test/support/receiver.ts';

const N = Number(process.env['BENCH_RESULTS'] ?? 6000);
const ENDPOINTS = 10;

async function run(hangOne: boolean): Promise<{ healthy: number; seconds: number; rate: number }> {
  const h = await startHarness();
  const receivers: Receiver[] = [];
  for (let i = 0; i < ENDPOINTS; i += 1) {
    receivers.push(await startReceiver(hangOne && i === 0 ? { respond: () => 'hang' } : {}));
  }
  try {
    const notifier = await h.start({
      NOTIFIER_TIMEOUT_MS: '10000',
      NOTIFIER_MAX_IN_FLIGHT: '500',
      NOTIFIER_DESTINATION_CONCURRENCY: '64',
      NOTIFIER_RETRY_DELAYS_MS: '60000',
      LOG_LEVEL: 'error',
    });
    await waitFor(() => notifier.ready, { description: 'notifier ready', timeoutMs: 30_000 });
    const results = Array.from({ length: N }, (_, i) => {
      const r = receivers[i % ENDPOINTS]!;
      return resultFor(`${r.url}/cb`, hangOne && i % ENDPOINTS === 0 ? 'hang' : 'ok');
    });
    const healthyReceivers = hangOne ? receivers.slice(1) : receivers;
    const expected = results.filter((r) => r.job_id.startsWith('ok_')).length;
    const t0 = performance.now();
    // In requests of 500 (the broker's 1 MB request limit).
    for (let i = 0; i < results.length; i += 500) await h.sendResults(results.slice(i, i + 500));
    await waitFor(() => healthyReceivers.reduce((n, r) => n + r.received.length, 0) >= expected, {
      timeoutMs: 300_000,
      intervalMs: 20,
      description: `${expected} healthy deliveries`,
    });
    const seconds = (performance.now() - t0) / 1000;
    await notifier.abort();
    return { healthy: expected, seconds, rate: expected / seconds };
  } finally {
    await Promise.all(receivers.map((r) => r.close()));
    await h.close();
  }
}

const healthy = await run(false);
const withHang = await run(true);
const ratio = withHang.rate / healthy.rate;
const f = (n: number) => Math.round(n).toLocaleString('en-US');
const report = `# notifier throughput

Run ${new Date().toISOString()} by \`bench/notifier/throughput.ts\`.

Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version};
Kafka 4.3.1 (single node, same machine). Settings: ${N.toLocaleString('en-US')} results on 2 partitions,
${ENDPOINTS} local keep-alive HTTP receivers, in-flight 500 per partition, 64 connections per
destination, delivery timeout 10 s; time from producing the results to the last healthy delivery
received (includes producing them and the consumer's start on the topic).

| run | healthy deliveries | seconds | deliveries/s |
|---|---:|---:|---:|
| 10 healthy endpoints | ${f(healthy.healthy)} | ${healthy.seconds.toFixed(2)} | ${f(healthy.rate)} |
| 1 of 10 endpoints hangs (10 s timeout) | ${f(withHang.healthy)} | ${withHang.seconds.toFixed(2)} | ${f(withHang.rate)} |

Healthy throughput with one endpoint hanging: ${(ratio * 100).toFixed(0)} % of the first run (target: within 10 %).
Target for the first run: ≥ 2,000 deliveries/s.
`;
const out = join(process.cwd(), 'bench/results');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'notifier.md'), report);
console.log(report);
process.exit(0);
