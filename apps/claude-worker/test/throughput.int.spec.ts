/**
 * Many calls in flight from a few partitions: 500 jobs on 3 partitions with the sim answering
 * after 1 s. By Little's law a worker that keeps only a few calls per partition in flight would
 * need minutes; this one holds well over 100 at once.
 */
import {
  countByKey,
  jobFor,
  PARTITIONS,
  startHarness,
  waitFor,
  type Harness,
  type SimStats,
} from './support/harness.ts';

const JOBS = 500;
const MAX_IN_FLIGHT = 256;

describe('throughput (real broker, anthropic-sim, real SDK)', () => {
  let h: Harness;

  beforeAll(async () => {
    // Limits high enough that concurrency, not the request rate, bounds the calls in flight.
    h = await startHarness({
      SIM_LATENCY_MS: '1000',
      SIM_RATE_LIMIT_RPM: '60000',
      SIM_RATE_LIMIT_OTPM: '4000000',
    });
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  it('runs more than 100 calls at once and gives every job a succeeded result', async () => {
    const jobs = Array.from({ length: JOBS }, () => jobFor('Summarize this'));
    await h.sendJobs(jobs);
    const results = await h.read(h.names.results);
    const worker = await h.start({
      WORKER_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT),
      WORKER_RATE_LIMIT_RPM: '60000',
      WORKER_RATE_LIMIT_OTPM: '4000000',
    });

    await waitFor(() => countByKey(results).unique >= JOBS, {
      timeoutMs: 60_000,
      description: `${JOBS} results`,
    });
    const stats = (await h.sim.stats()) as SimStats;
    expect(stats.concurrency.peak).toBeGreaterThan(100);
    expect(stats.concurrency.peak).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    const peak = (await worker.metrics.claudeInflightPeak.get()).values[0]?.value ?? 0;
    expect(peak).toBeGreaterThan(100);

    const expected = new Set(jobs.map((j) => j.job_id));
    const succeeded = countByKey(results, 'succeeded');
    expect(new Set(succeeded.counts.keys())).toEqual(expected);
    expect(results.every((r) => r.json['status'] === 'succeeded')).toBe(true);
    // Counted, not assumed away: repeats come only from replays, bounded by what was in flight.
    expect(succeeded.duplicates).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    const sample = results[0]?.json ?? {};
    expect(sample).toMatchObject({
      tier: 'realtime',
      model: 'claude-haiku-4-5',
      attempts: 1,
      stop_reason: 'end_turn',
    });
    expect(Number(sample['cost_estimate_usd'])).toBeGreaterThan(0);
    expect(PARTITIONS).toBe(3);
  }, 120_000);
});
