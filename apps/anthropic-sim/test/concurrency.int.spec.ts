/**
 * Thousands of concurrent keep-alive connections: every request answered, the sim's peak
 * concurrency reported, and its own per-request overhead measured and small.
 */
import { Pool } from 'undici';
import { MODEL, startHarness, type Harness } from './sim-harness.ts';

const CONNECTIONS = 2_000;

let h: Harness;
afterEach(async () => {
  await h.close();
});

interface Stats {
  requests: { total: number; by_status: Record<string, number> };
  concurrency: { current: number; peak: number };
  rate: { requests_per_second_10s: number };
  processing_ms: { count: number; mean: number; p50: number; p99: number; max: number };
  added_latency_ms: { count: number; p50: number };
}

it(`serves ${CONNECTIONS} concurrent connections and reports its own overhead`, async () => {
  // Every request waits 3 s in the sim, so all of them are open at once even on a loaded machine.
  h = await startHarness({ SIM_LATENCY_MS: '3000', SIM_RATE_LIMIT_RPM: '1000000' });
  const pool = new Pool(h.url, {
    connections: CONNECTIONS,
    pipelining: 1,
    keepAliveTimeout: 30_000,
  });
  const body = JSON.stringify({
    model: MODEL,
    max_tokens: 32,
    messages: [{ role: 'user', content: 'load' }],
  });
  const headers = {
    'x-api-key': 'k',
    'anthropic-version': '2023-06-01',
    'content-type': 'application/json',
  };
  try {
    const round = () =>
      Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          const response = await pool.request({
            path: '/v1/messages',
            method: 'POST',
            headers,
            body,
          });
          await response.body.text();
          return response.statusCode;
        }),
      );
    const first = await round();
    // A second round reuses the kept-alive connections.
    const second = await round();
    expect([...first, ...second].every((status) => status === 200)).toBe(true);

    const stats = await h.admin<Stats>('GET', '/_sim/stats');
    expect(stats.requests.by_status).toEqual({ '200': 2 * CONNECTIONS });
    expect(stats.concurrency.peak).toBeGreaterThanOrEqual(CONNECTIONS * 0.9);
    expect(stats.concurrency.current).toBe(0);
    expect(stats.rate.requests_per_second_10s).toBeGreaterThan(0);
    // Its own work per request (parsing, planning, serializing) is well under a millisecond
    // typically; generous bounds, as the test client shares its event loop (and Jest its CPU).
    expect(stats.processing_ms.count).toBe(2 * CONNECTIONS);
    expect(stats.processing_ms.p50).toBeLessThan(5);
    expect(stats.processing_ms.p50).toBeGreaterThan(0);
    // Queueing behind 2,000 simultaneous requests shows up as added latency, reported apart.
    expect(stats.added_latency_ms.count).toBe(2 * CONNECTIONS);
    expect(stats.added_latency_ms.p50).toBeGreaterThanOrEqual(stats.processing_ms.p50);
  } finally {
    await pool.close();
  }
});
