/**
 * Error classes against the sim: an invalid request (400, 404) goes to the DLQ at once with a
 * `failed` result; a 429 waits `retry-after` without spending an attempt; a 401 stops
 * consumption and readiness and leaves the jobs in Kafka, so a worker with a valid key later
 * finishes every one of them.
 */
import { countByKey, jobFor, startHarness, waitFor, type Harness } from './support/harness.ts';

const KEY = 'sk-ant-valid-test-key';

describe('error classes (real broker, anthropic-sim, real SDK)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ SIM_API_KEYS: KEY });
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  it('sends a 400 and a 404 to the DLQ at once, with failed results; a 429 spends no attempt', async () => {
    await h.sim.admin('/_sim/faults', {
      match: { contains: 'throttle-me' },
      action: { type: 'error', status: 429, retry_after_ms: 300 },
      times: 2,
    });
    const tooLong = jobFor('Write a book', { max_tokens: 100_000 }); // over the model's limit
    const unknownModel = jobFor('Hello', { model: 'claude-does-not-exist-1' });
    const throttled = jobFor('throttle-me please');
    const [results, dlq, retries] = await Promise.all([
      h.read(h.names.results),
      h.read(h.names.dlq('claude-worker')),
      h.read(h.names.retry('claude-worker', 1)),
    ]);
    await h.sendJobs([tooLong, unknownModel, throttled]);
    const worker = await h.start({ ANTHROPIC_API_KEY: KEY });

    await waitFor(() => countByKey(results).unique === 3 && dlq.length >= 2, {
      timeoutMs: 30_000,
      description: 'three results and two dead letters',
    });
    const byKey = new Map(results.map((r) => [r.key, r.json]));
    expect(byKey.get(tooLong.job_id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { class: 'invalid', code: 'invalid_request_error', retriable: false },
    });
    expect(byKey.get(unknownModel.job_id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { class: 'invalid', code: 'not_found_error', retriable: false },
    });
    expect(dlq.map((r) => r.key).sort()).toEqual([tooLong.job_id, unknownModel.job_id].sort());
    for (const letter of dlq) {
      expect(letter.headers['pipeline-error-class']).toBe('invalid');
      expect(letter.headers['pipeline-error-stage']).toBe('source');
    }
    // Throttled twice, then answered: no retry stage, three calls.
    expect(byKey.get(throttled.job_id)).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(retries).toHaveLength(0);
    expect((await worker.metrics.throttled.get()).values[0]?.value).toBe(2);
    await worker.stop();
  }, 60_000);

  it('stops consuming on a 401 and flips readiness; no job is lost or dead-lettered', async () => {
    const jobs = Array.from({ length: 20 }, () => jobFor('Summarize'));
    const groupId = `${h.prefix}.auth`;
    const [results, dlq] = await Promise.all([
      h.read(h.names.results),
      h.read(h.names.dlq('claude-worker')),
    ]);
    const ids = new Set(jobs.map((j) => j.job_id));
    const ours = <T extends { key: string }>(records: readonly T[]) =>
      records.filter((r) => ids.has(r.key));
    await h.sendJobs(jobs);
    const bad = await h.start({ ANTHROPIC_API_KEY: 'sk-ant-revoked', WORKER_GROUP_ID: groupId });
    await waitFor(() => bad.halted, { timeoutMs: 30_000, description: 'halt on 401' });
    expect(bad.ready).toBe(false);
    expect((await fetch(`${bad.url}/readyz`)).status).toBe(503);
    expect((await bad.metrics.accountErrors.get()).values[0]?.value).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(ours(results)).toHaveLength(0);
    expect(ours(dlq)).toHaveLength(0);
    await bad.stop();

    // The same group with a valid key: every job is still there and finishes.
    await h.start({ ANTHROPIC_API_KEY: KEY, WORKER_GROUP_ID: groupId });
    await waitFor(
      () =>
        countByKey(
          results.filter((r) => ids.has(r.key)),
          'succeeded',
        ).unique === 20,
      {
        timeoutMs: 30_000,
        description: 'every job succeeded after the key was fixed',
      },
    );
    expect(ours(dlq)).toHaveLength(0);
  }, 90_000);
});
