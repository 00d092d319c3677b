/**
 * The account's limit, used and never exceeded: the sim allows 300 requests per minute and a
 * deep backlog waits; the worker drains it at >= 90 % of the limit with at most a handful of
 * 429s, and the sim's own measured request rate never goes over the limit.
 */
import { jobFor, startHarness, waitFor, type Harness, type SimStats } from './support/harness.ts';

const RPM = 300; // 5 requests/s
const WINDOW_S = 30;

describe('rate limit (real broker, anthropic-sim, real SDK)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ SIM_RATE_LIMIT_RPM: String(RPM), SIM_LATENCY_MS: '200' });
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  it('drains a backlog at >= 90 % of the limit, never above it, with a handful of 429s at most', async () => {
    await h.sendJobs(Array.from({ length: 400 }, () => jobFor('Classify this')));
    const results = await h.read(h.names.results);
    await h.start({ WORKER_RATE_LIMIT_RPM: String(RPM) });
    await waitFor(() => results.length >= 10, { timeoutMs: 30_000, description: 'first results' });

    const stats = async () => (await h.sim.stats()) as SimStats;
    const first = await stats();
    const startedAt = Date.now();
    const rates10s: number[] = [];
    while (Date.now() - startedAt < WINDOW_S * 1000) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      rates10s.push((await stats()).rate.requests_per_second_10s);
    }
    const last = await stats();
    const elapsedS = (Date.now() - startedAt) / 1000;
    const perMinute = ((last.requests.total - first.requests.total) / elapsedS) * 60;

    expect(perMinute).toBeGreaterThanOrEqual(0.9 * RPM);
    expect(Math.max(...rates10s) * 60).toBeLessThanOrEqual(RPM);
    expect(last.rate.requests_per_second_60s * 60).toBeLessThanOrEqual(RPM);
    expect(last.requests.by_status['429'] ?? 0).toBeLessThanOrEqual(3);
    expect(results.length).toBeLessThan(400); // still draining: the limit, not the backlog, bound it
  }, 120_000);
});
