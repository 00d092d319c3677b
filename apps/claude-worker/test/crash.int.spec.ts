/**
 * The worker PROCESS (src/main.ts, configured by its environment) SIGKILLed under load and
 * started again: every job still ends with a result, and repeats stay within what the crash
 * could replay (the partitions' in-flight windows).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { workspaceRoot } from '@claude-pipeline/testing';
import {
  countByKey,
  jobFor,
  PARTITIONS,
  startHarness,
  waitFor,
  type Harness,
} from './support/harness.ts';

const JOBS = 1_000;
const WINDOW = 100; // records in flight per partition, and calls in flight

describe('crash and restart (real broker, anthropic-sim, worker process)', () => {
  let h: Harness;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    h = await startHarness({
      SIM_LATENCY_MS: '300',
      SIM_RATE_LIMIT_RPM: '60000',
      SIM_RATE_LIMIT_OTPM: '4000000',
    });
  }, 60_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await h?.close();
  });

  function startProcess(): ChildProcess {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@claude-pipeline/source',
        join(workspaceRoot(), 'apps/claude-worker/src/main.ts'),
      ],
      {
        env: {
          ...process.env,
          ...h.env({
            WORKER_MAX_IN_FLIGHT: String(WINDOW),
            WORKER_PARTITION_WINDOW: String(WINDOW),
            WORKER_RATE_LIMIT_RPM: '60000',
            WORKER_RATE_LIMIT_OTPM: '4000000',
          }),
          LOG_LEVEL: 'error',
          OTEL_SDK_DISABLED: 'true',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    children.push(child);
    return child;
  }

  it('gives every job a result after a SIGKILL under load; repeats bounded by the windows', async () => {
    const jobs = Array.from({ length: JOBS }, () => jobFor('Summarize'));
    await h.sendJobs(jobs);
    const results = await h.read(h.names.results);

    const first = startProcess();
    await waitFor(() => results.length >= 250, {
      timeoutMs: 60_000,
      description: '250 results from the first process',
    });
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const byFirst = countByKey(results).unique;
    expect(byFirst).toBeLessThan(JOBS); // killed under load, not after the fact

    startProcess();
    await waitFor(() => countByKey(results).unique === JOBS, {
      timeoutMs: 90_000,
      description: 'every job has a result',
    });
    const succeeded = countByKey(results, 'succeeded');
    expect(new Set(succeeded.counts.keys())).toEqual(new Set(jobs.map((j) => j.job_id)));
    // Same job id on a repeat (receivers drop it); at most what was uncommitted at the kill.
    expect(succeeded.duplicates).toBeLessThanOrEqual(PARTITIONS * WINDOW);
  }, 180_000);
});
