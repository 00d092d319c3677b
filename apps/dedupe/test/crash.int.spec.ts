/**
 * dedupe as a real process, crashed (SIGKILL, no cleanup) by a failpoint inside its transaction
 * or right after the commit, then restarted: no job is lost and none is duplicated, counted with
 * a read_committed reader.
 */

// The readers here rely on read_committed filtering being right when transactions of two
// producers interleave and abort in the other order (an instance dying with two partitions
// mid-transaction): kafkajs 2.2.4 got that wrong; patches/kafkajs+2.2.4.patch fixes it.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TopicNames } from '@claude-pipeline/kafka';
import { testKafka, waitFor, workspaceRoot } from '@claude-pipeline/testing';
import type { Admin, Kafka, Producer } from 'kafkajs';
import {
  collect,
  dedupeEnv,
  event,
  produceEvents,
  provisionPrefix,
  stateDir,
  waitForCommittedEnd,
  type Collector,
} from './support.ts';

const UNIQUE = 120;
const REPEATS = 3;

interface Child {
  process: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

function startChild(names: TopicNames, dir: string, env: Record<string, string> = {}): Child {
  const child = spawn(
    process.execPath,
    ['--conditions=@claude-pipeline/source', join(workspaceRoot(), 'apps/dedupe/src/main.ts')],
    {
      cwd: workspaceRoot(),
      env: { ...process.env, ...dedupeEnv(names, dir, env), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { process: child, exited, output: () => output };
}

describe('dedupe crash and restart (child process, real broker)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let names: TopicNames;
  let dir: string;
  const children: Child[] = [];
  const collectors: Collector[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    producer = kafka.producer({ idempotent: true });
    await Promise.all([admin.connect(), producer.connect()]);
  });

  beforeEach(async () => {
    names = await provisionPrefix(admin);
    dir = stateDir();
  });

  afterEach(async () => {
    for (const c of children.splice(0)) {
      c.process.kill('SIGKILL');
      await c.exited;
    }
    await Promise.all(collectors.splice(0).map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  afterAll(async () => {
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  });

  /** UNIQUE events, each delivered REPEATS times, interleaved. */
  const deliveries = () => {
    const unique = Array.from({ length: UNIQUE }, (_, i) => event(`tenant${i % 3}`, `crash-${i}`));
    return { unique, all: Array.from({ length: REPEATS }, () => unique).flat() };
  };

  async function countJobs(jobs: Collector): Promise<void> {
    await waitFor(() => jobs.records.length >= UNIQUE, {
      timeoutMs: 30_000,
      description: `${UNIQUE} committed jobs`,
    });
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a duplicate would show by now
  }

  function run(env: Record<string, string> = {}): Child {
    const child = startChild(names, dir, env);
    children.push(child);
    return child;
  }

  it('crashed after producing and before committing, then restarted: no duplicate, no lost job', async () => {
    const committed = await collect(kafka, names.jobs);
    const uncommitted = await collect(kafka, names.jobs, { readUncommitted: true });
    collectors.push(committed, uncommitted);
    const { unique, all } = deliveries();
    await produceEvents(producer, names, all);

    const crashing = run({ PIPELINE_FAILPOINTS: 'dedupe.after-produce-before-commit' });
    const exit = await crashing.exited;
    expect(exit.signal).toBe('SIGKILL');
    // The crash came after the produce: its records are in the log, never committed.
    await waitFor(() => uncommitted.records.length > 0, {
      description: 'records of the aborted transaction',
    });

    const restarted = run();
    await waitForCommittedEnd(admin, `${names.prefix}.dedupe`, names.events, 45_000);
    await countJobs(committed);
    expect(committed.records).toHaveLength(UNIQUE);
    expect(new Set(committed.records.map((r) => r.key))).toEqual(
      new Set(unique.map((e) => e.job.job_id)),
    );
    // The reader that sees aborted data saw more: the failpoint did fire after the produce.
    expect(uncommitted.records.length).toBeGreaterThan(UNIQUE);

    // A graceful stop ends with exit code 0.
    restarted.process.kill('SIGTERM');
    expect(await restarted.exited).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('crashed after committing and before updating its local store, then restarted on the same disk: repeats are still dropped', async () => {
    const committed = await collect(kafka, names.jobs);
    collectors.push(committed);
    const { unique, all } = deliveries();
    await produceEvents(producer, names, unique);

    const crashing = run({ PIPELINE_FAILPOINTS: 'dedupe.after-commit-before-apply' });
    expect((await crashing.exited).signal).toBe('SIGKILL');

    run();
    await waitForCommittedEnd(admin, `${names.prefix}.dedupe`, names.events, 45_000);
    await produceEvents(producer, names, all);
    await waitForCommittedEnd(admin, `${names.prefix}.dedupe`, names.events, 45_000);
    await countJobs(committed);
    expect(committed.records).toHaveLength(UNIQUE);
    expect(new Set(committed.records.map((r) => r.key)).size).toBe(UNIQUE);
  }, 120_000);
});
