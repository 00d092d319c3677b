import type { Admin, Kafka } from 'kafkajs';
import kafkajs from 'kafkajs';
import { buildTopicCatalog } from '@claude-pipeline/kafka';
import { LOCAL_BROKERS, testKafka, uniqueName } from '@claude-pipeline/testing';
import { runCapture } from './support/capture-io.ts';

const { ConfigResourceTypes } = kafkajs;

/** `pipeline topics provision|list|describe` on the real broker, under a prefix of their own. */
describe('pipeline topics (real broker)', () => {
  const prefix = uniqueName('cli-topics');
  const env = {
    KAFKA_BROKERS: LOCAL_BROKERS.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_TOPIC_PARTITIONS: '2',
    KAFKA_TOPIC_AUX_PARTITIONS: '1',
  };
  const catalog = buildTopicCatalog({ prefix, partitions: 2, auxPartitions: 1 });
  const jobs = catalog.names.jobs;
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: catalog.topics.map((t) => t.name) }).catch(() => undefined);
    await admin.disconnect();
  });

  it('provision: a dry run creates nothing; then every topic is created once', async () => {
    const dry = await runCapture(['topics', 'provision', '--dry-run', '--json'], { env });
    expect(dry.code).toBe(1); // everything is missing
    const dryReport = JSON.parse(dry.stdout) as { created: string[]; mismatches: unknown[] };
    expect(dryReport.created).toEqual([]);
    expect(dryReport.mismatches).toHaveLength(catalog.topics.length);
    expect((await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`))).toEqual([]);

    const first = await runCapture(['topics', 'provision', '--json'], { env });
    expect(first.code).toBe(0);
    expect((JSON.parse(first.stdout) as { created: string[] }).created.sort()).toEqual(
      catalog.topics.map((t) => t.name).sort(),
    );

    const again = await runCapture(['topics', 'provision'], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      `${catalog.topics.length} topics: 0 created, ${catalog.topics.length} unchanged, 0 mismatched`,
    );
  });

  it('list and describe: record counts, and lag per consumer group', async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: jobs,
      acks: -1,
      messages: Array.from({ length: 5 }, (_, i) => ({
        partition: 0,
        key: `k${i}`,
        value: `v${i}`,
      })),
    });
    await producer.disconnect();
    const group = `${prefix}.claude-worker`;
    await admin.setOffsets({
      groupId: group,
      topic: jobs,
      partitions: [{ partition: 0, offset: '2' }],
    });

    const list = await runCapture(['topics', 'list', '--json'], { env });
    if (list.code !== 0) throw new Error(`topics list exited ${list.code}: ${list.stderr}`);
    const listed = JSON.parse(list.stdout) as {
      prefix: string;
      topics: {
        topic: string;
        exists: boolean;
        records: number;
        groups: { group: string; lag: number }[];
      }[];
    };
    expect(listed.prefix).toBe(prefix);
    expect(listed.topics).toHaveLength(catalog.topics.length);
    expect(listed.topics.every((t) => t.exists)).toBe(true);
    const jobsRow = listed.topics.find((t) => t.topic === jobs);
    expect(jobsRow).toMatchObject({ records: 5, groups: [{ group, lag: 3 }] });

    const human = await runCapture(['topics', 'list'], { env });
    expect(human.stdout).toMatch(
      new RegExp(`${jobs.replace(/\./g, '\\.')}\\s+2\\s+5\\s+delete\\s+7d\\s+3`),
    );
    expect(human.stdout).toMatch(
      new RegExp(`${group.replace(/\./g, '\\.')}\\s+Empty\\s+0\\s+\\S+\\s+3`),
    );

    const describe = await runCapture(['topics', 'describe', 'jobs', '--json'], { env });
    expect(describe.code).toBe(0);
    const described = JSON.parse(describe.stdout) as {
      topic: string;
      partitions: { partition: number; high: number; records: number }[];
      configs: { name: string; value: string; catalog?: string }[];
      groups: {
        groupId: string;
        partitions: { partition: number; committed: number; lag?: number }[];
      }[];
    };
    expect(described.topic).toBe(jobs);
    expect(described.partitions.map((p) => [p.partition, p.records])).toEqual([
      [0, 5],
      [1, 0],
    ]);
    expect(described.configs).toContainEqual({
      name: 'retention.ms',
      value: '604800000',
      catalog: '604800000',
    });
    expect(described.groups[0]?.partitions[0]).toMatchObject({
      partition: 0,
      committed: 2,
      lag: 3,
    });
    const text = await runCapture(['topics', 'describe', jobs], { env });
    expect(text.stdout).toContain('role         jobs');
    expect(text.stdout).toMatch(/PARTITION\s+LEADER\s+REPLICAS\s+ISR\s+LOW\s+HIGH\s+RECORDS/);
  });

  it('provision reports a topic that drifted from the catalog and exits 1', async () => {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: catalog.names.results,
          configEntries: [{ name: 'retention.ms', value: '1000' }],
        },
      ],
    });
    const run = await runCapture(['topics', 'provision'], { env });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(`MISMATCH\\s+${catalog.names.results.replace(/\./g, '\\.')}`),
    );
    expect(run.stderr).toContain('config retention.ms is 1000');
  });

  it('describing a topic that does not exist exits 1', async () => {
    const run = await runCapture(['topics', 'describe', 'nope'], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`topic nope does not exist`);
  });

  it('an unreachable broker exits 1 naming it', async () => {
    const run = await runCapture(['topics', 'list'], {
      env: { ...env, KAFKA_BROKERS: '127.0.0.1:1' },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot reach Kafka at 127.0.0.1:1');
    expect(run.stderr).toContain('hint: is the broker running');
  });
});
