/**
 * The open-loop load generator of the ingest benchmark, run as its own process (forked by
 * run.ts) so it shares no event loop with the receiver under test or with the orchestrator.
 *
 * Requests are sent at a fixed arrival rate: request i is scheduled at t0 + i / rate whatever
 * happened to earlier ones, and its latency is measured from that scheduled time to the end of
 * the response, so time spent queued behind a slow receiver (or behind this generator) is
 * counted (no coordinated omission). Latencies go into an HDR histogram (µs, 3 significant
 * digits). Connections: one undici Pool, keep-alive, no pipelining.
 *
 * IPC: the parent sends `{type: 'run', ...RunRequest}` and gets `{type: 'result', ...}` back;
 * `{type: 'exit'}` ends the process.
 */
import { Pool } from 'undici';
import { latencyHistogram, summary, type Latency } from '../latency.ts';
import { signedBodies } from './github.ts';

export interface RunRequest {
  /** Origin of the receiver, e.g. http://127.0.0.1:8080 */
  origin: string;
  path: string;
  rate: number;
  durationS: number;
  connections: number;
  secret: string;
  /** Delivery ids are `<deliveryPrefix>-<n>`: unique across the whole benchmark run. */
  deliveryPrefix: string;
  /** Longest wait for a response, ms (counted as an error after that). */
  timeoutMs: number;
  /** Requests in flight or queued in the pool beyond which a scheduled request is not sent (an error). */
  maxOutstanding: number;
  /** Send the accepted delivery ids back (to check each one is in Kafka). */
  returnIds: boolean;
}

export interface RunResult {
  offered: number;
  sent: number;
  accepted: number;
  errors: number;
  errorKinds: Record<string, number>;
  /** Accepted responses per second, over the time from the first scheduled send to the last response. */
  achievedRate: number;
  /** How late the generator itself sent, ms (p99 / max of actual minus scheduled send time). */
  sendLagP99Ms: number;
  sendLagMaxMs: number;
  latencyMs: Latency;
  seconds: number;
  acceptedIds?: string[];
}

const bodies = new Map<string, ReturnType<typeof signedBodies>>();

async function run(req: RunRequest): Promise<RunResult> {
  let pool = bodies.get(req.secret);
  if (!pool) {
    pool = signedBodies(req.secret, 256);
    bodies.set(req.secret, pool);
  }
  const signed = pool;
  const client = new Pool(req.origin, {
    connections: req.connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: req.timeoutMs,
    bodyTimeout: req.timeoutMs,
  });
  const latency = latencyHistogram(120_000_000);
  const sendLag = latencyHistogram(120_000_000);
  const total = Math.round(req.rate * req.durationS);
  const intervalMs = 1000 / req.rate;
  const errorKinds: Record<string, number> = {};
  const acceptedIds: string[] = [];
  let sent = 0;
  let accepted = 0;
  let errors = 0;
  let settled = 0;
  let lastDone = 0;
  const fail = (kind: string) => {
    errors += 1;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  };

  // Warm the connections up so the first requests do not pay for the handshakes.
  await Promise.all(
    Array.from({ length: Math.min(req.connections, 16) }, () =>
      client.request({ path: '/healthz', method: 'GET' }).then(
        (r) => r.body.dump(),
        () => undefined,
      ),
    ),
  );

  const fire = (i: number, scheduled: number) => {
    const item = signed[i % signed.length];
    if (!item) return;
    // A receiver far behind the rate would otherwise queue an unbounded backlog in the pool
    // (and a phase would last as long as draining it): past the cap a request is an error.
    if (sent - settled >= req.maxOutstanding) {
      fail('not sent: generator backlog full');
      return;
    }
    const delivery = `${req.deliveryPrefix}-${i}`;
    sent += 1;
    sendLag.recordValue(Math.max(1, Math.round((performance.now() - scheduled) * 1000)));
    client
      .request({
        path: req.path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'GitHub-Hookshot/bench',
          'x-github-event': 'pull_request',
          'x-github-delivery': delivery,
          'x-github-hook-id': '4242',
          'x-hub-signature-256': item.signature,
        },
        body: item.body,
      })
      .then(
        async (res) => {
          await res.body.dump();
          const done = performance.now();
          lastDone = done;
          if (res.statusCode === 202) {
            accepted += 1;
            latency.recordValue(Math.max(1, Math.round((done - scheduled) * 1000)));
            if (req.returnIds) acceptedIds.push(delivery);
          } else {
            fail(`HTTP ${res.statusCode}`);
          }
        },
        (error: unknown) => {
          lastDone = performance.now();
          fail((error as { code?: string }).code ?? String(error));
        },
      )
      .finally(() => {
        settled += 1;
      });
  };

  const t0 = performance.now() + 20;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && t0 + next * intervalMs <= now) {
        fire(next, t0 + next * intervalMs);
        next += 1;
      }
      if (next < total) setTimeout(tick, 1);
      else resolve();
    };
    setTimeout(tick, 20);
  });
  const drainUntil = performance.now() + req.timeoutMs;
  while (settled < sent && performance.now() < drainUntil) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // Whatever is still outstanding now is abandoned (each counts as an error).
  if (settled < sent) await client.destroy().catch(() => undefined);
  const settleUntil = performance.now() + 5_000;
  while (settled < sent && performance.now() < settleUntil) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (settled < sent) errorKinds['unsettled'] = sent - settled;
  await client.close().catch(() => undefined);
  const seconds = (lastDone - t0) / 1000;
  const result: RunResult = {
    offered: total,
    sent,
    accepted,
    errors: errors + (sent - settled),
    errorKinds,
    achievedRate: accepted / Math.max(seconds, 0.001),
    sendLagP99Ms: sendLag.getValueAtPercentile(99) / 1000,
    sendLagMaxMs: sendLag.maxValue / 1000,
    latencyMs: summary(latency),
    seconds,
  };
  if (req.returnIds) result.acceptedIds = acceptedIds;
  return result;
}

process.on('message', (message: { type: string } & Partial<RunRequest>) => {
  if (message.type === 'exit') process.exit(0);
  if (message.type === 'run') {
    void run(message as RunRequest).then(
      (result) => process.send?.({ type: 'result', ...result }),
      (error: unknown) => process.send?.({ type: 'error', message: String(error) }),
    );
  }
});
process.send?.({ type: 'ready' });
