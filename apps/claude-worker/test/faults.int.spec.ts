/**
 * Transient failures go through the retry chain: with the sim failing 20 % of calls with 529 and
 * 10 % with 500, every job ends `succeeded` or, after the last stage, in the DLQ with a `failed`
 * result; none is lost. Stage delays are milliseconds here (production: 5 s, 1 min, 10 min).
 */
import { countByKey, jobFor, startHarness, waitFor, type Harness } from './support/harness.ts';

const JOBS = 300;

describe('transient faults (real broker, anthropic-sim, real SDK)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ SIM_ERROR_RATES: '529=0.2,500=0.1', SIM_SEED: '7' });
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  it('ends every job succeeded or dead-lettered with a failed result; none lost', async () => {
    const jobs = Array.from({ length: JOBS }, () => jobFor('Extract the fields'));
    await h.sendJobs(jobs);
    const [results, dlq, retries] = await Promise.all([
      h.read(h.names.results),
      h.read(h.names.dlq('claude-worker')),
      h.read(h.names.retry('claude-worker', 1)),
    ]);
    await h.start();

    const ended = () => {
      const keys = new Set(results.map((r) => r.key));
      return jobs.every((j) => keys.has(j.job_id));
    };
    await waitFor(ended, { timeoutMs: 60_000, description: 'a result for every job' });
    await waitFor(() => dlq.length >= countByKey(results, 'failed').unique, {
      timeoutMs: 10_000,
      description: 'a DLQ record for every failed result',
    });

    const succeeded = countByKey(results, 'succeeded');
    const failed = countByKey(results, 'failed');
    expect(succeeded.unique + failed.unique).toBe(JOBS);
    // About 30 % of first calls fail: the chain really was exercised.
    expect(retries.length).toBeGreaterThan(JOBS * 0.15);
    // Failed results are exactly the dead letters, each after the last stage.
    expect(new Set(dlq.map((r) => r.key))).toEqual(new Set(failed.counts.keys()));
    for (const letter of dlq) {
      expect(letter.headers['pipeline-error-class']).toBe('transient');
      expect(letter.headers['pipeline-error-stage']).toBe('retry.3');
    }
    for (const r of results.filter((x) => x.json['status'] === 'failed')) {
      expect(r.json).toMatchObject({ attempts: 4, error: { class: 'transient', retriable: true } });
    }
    // A job that needed retries reports every call it took.
    const retried = new Set(retries.map((r) => r.key));
    const retriedOk = results.find((r) => r.json['status'] === 'succeeded' && retried.has(r.key));
    expect(Number(retriedOk?.json['attempts'])).toBeGreaterThan(1);
  }, 120_000);
});
