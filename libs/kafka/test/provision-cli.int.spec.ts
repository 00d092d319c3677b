/**
 * `npm run topics` (src/bin/provision-topics.ts) as an operator runs it, against the real broker:
 * a topic that differs from the catalog fails the run (exit 1, an error line naming it); a clean
 * cluster is provisioned (exit 0), and a second run changes nothing. Each case uses its own
 * KAFKA_TOPIC_PREFIX, with few partitions to keep the shared broker light.
 */
import { spawn } from 'node:child_process';
import type { Admin } from 'kafkajs';
import { LOCAL_BROKERS, testKafka, uniqueName, workspaceRoot } from '@claude-pipeline/testing';
import { catalogFromSettings, kafkaSettingsFromEnv, waitForTopics } from '../src/index.ts';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm run topics` with the given topic prefix and its output captured. */
function runTopics(env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'topics', '--silent'], {
      cwd: workspaceRoot(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run topics (the provisioning CLI)', () => {
  let admin: Admin;
  const prefixes: string[] = [];

  beforeAll(async () => {
    admin = testKafka().admin();
    await admin.connect();
  });

  afterAll(async () => {
    const all = await admin.listTopics();
    const ours = all.filter((t) => prefixes.some((p) => t.startsWith(`${p}.`)));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
    await admin.disconnect();
  });

  /** The CLI's environment for a fresh prefix, and the catalog it provisions there. */
  function setup() {
    const prefix = uniqueName('provcli').replace(/-/g, '_');
    prefixes.push(prefix);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KAFKA_BROKERS: LOCAL_BROKERS.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_TOPIC_PARTITIONS: '2',
      KAFKA_TOPIC_AUX_PARTITIONS: '1',
    };
    const catalog = catalogFromSettings(kafkaSettingsFromEnv(env, { clientId: 'test' }));
    return { env, catalog };
  }

  const summaryOf = (run: CliRun) => run.stdout.trim().split('\n').at(-1);
  const errorLines = (run: CliRun) => run.stderr.split('\n').filter((l) => l.startsWith('error: '));

  it('exits 1 with an error line naming a topic that has fewer partitions than the catalog', async () => {
    const { env, catalog } = setup();
    const jobs = catalog.names.jobs;
    const spec = catalog.get(jobs)!;
    expect(spec.partitions).toBe(2);
    // As the catalog says in every respect but one: one partition instead of two.
    await admin.createTopics({
      waitForLeaders: false,
      topics: [
        {
          topic: jobs,
          numPartitions: 1,
          replicationFactor: spec.replicationFactor,
          configEntries: Object.entries(spec.configs).map(([name, value]) => ({ name, value })),
        },
      ],
    });
    await waitForTopics(admin, [jobs]);

    const run = await runTopics(env);
    expect(run.code).toBe(1);
    expect(errorLines(run)).toEqual([`error: ${jobs}: has 1 partitions, catalog says 2`]);
    expect(run.stdout).toMatch(new RegExp(`^MISMATCH ${jobs.replace(/\./g, '\\.')}\\s`, 'm'));
    const n = catalog.topics.length;
    expect(summaryOf(run)).toBe(`${n} topics: ${n - 1} created, 0 unchanged, 1 mismatched`);
    // Reported, not "fixed": the topic keeps its one partition.
    const metadata = await admin.fetchTopicMetadata({ topics: [jobs] });
    expect(metadata.topics[0]?.partitions).toHaveLength(1);
  }, 120_000);

  it('exits 0 on a clean cluster, creating every topic; a second run is idempotent', async () => {
    const { env, catalog } = setup();
    const n = catalog.topics.length;

    const first = await runTopics(env);
    expect(first.code).toBe(0);
    expect(errorLines(first)).toEqual([]);
    expect(summaryOf(first)).toBe(`${n} topics: ${n} created, 0 unchanged, 0 mismatched`);
    const existing = new Set(await admin.listTopics());
    expect(catalog.topics.filter((t) => !existing.has(t.name))).toEqual([]);

    const second = await runTopics(env);
    expect(second.code).toBe(0);
    expect(errorLines(second)).toEqual([]);
    expect(summaryOf(second)).toBe(`${n} topics: 0 created, ${n} unchanged, 0 mismatched`);
  }, 120_000);
});
