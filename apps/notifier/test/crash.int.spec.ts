/**
 * The notifier PROCESS (src/main.ts, configured by its environment) SIGKILLed under load and
 * started again: every result is delivered at least once, and repeats by `webhook-id` stay
 * within the in-flight window the crash could replay.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { workspaceRoot } from '@claude-pipeline/testing';
import { resultFor, startHarness, waitFor, type Harness } from './support/harness.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';

const RESULTS = 3_000;
const MAX_IN_FLIGHT = 50;
const PARTITIONS = 2; // of the results topic (harness)

describe('crash and restart (real broker, notifier process)', () => {
  let h: Harness;
  let receiver: Receiver;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await h.close();
    await receiver?.close();
  });

  function startProcess(): ChildProcess {
    const child = spawn(
      process.execPath,
      ['--conditions=@claude-pipeline/source', join(workspaceRoot(), 'apps/notifier/src/main.ts')],
      {
        env: {
          ...process.env,
          ...h.env({ NOTIFIER_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT) }),
          LOG_LEVEL: 'error',
          OTEL_SDK_DISABLED: 'true',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    children.push(child);
    return child;
  }

  it('delivers every result at least once; duplicates by webhook-id never exceed the in-flight limit', async () => {
    receiver = await startReceiver({ secrets: h.secrets.acme });
    const results = Array.from({ length: RESULTS }, () => resultFor(`${receiver.url}/cb`, 'load'));
    for (let i = 0; i < results.length; i += 500) await h.sendResults(results.slice(i, i + 500));

    const first = startProcess();
    await waitFor(() => receiver.received.length >= 800, {
      timeoutMs: 30_000,
      description: '800 deliveries by the first process',
    });
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const byFirst = receiver.received.length;
    expect(byFirst).toBeLessThan(RESULTS); // killed under load, not after the fact

    startProcess();
    const unique = () => new Set(receiver.received.map((r) => r.id)).size;
    await waitFor(() => unique() === RESULTS, {
      timeoutMs: 60_000,
      description: 'every result delivered by one process or the other',
    });
    const expected = new Set(results.map((r) => `${r.job_id}.1`));
    expect(new Set(receiver.received.map((r) => r.id))).toEqual(expected);
    expect(receiver.received.every((r) => r.verified && r.status === 200)).toBe(true);
    const duplicates = receiver.received.length - RESULTS;
    expect(duplicates).toBeLessThanOrEqual(PARTITIONS * MAX_IN_FLIGHT);
  }, 120_000);
});
