import type { Admin } from 'kafkajs';
import { testKafka, uniqueName } from '@claude-pipeline/testing';
import {
  buildTopicCatalog,
  ensureTopics,
  provisionTopics,
  TopicMismatchError,
  waitForTopics,
} from '../src/index.ts';

describe('topic provisioning against the real broker', () => {
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

  function catalog() {
    const prefix = uniqueName('prov').replace(/-/g, '_');
    prefixes.push(prefix);
    return buildTopicCatalog({ prefix, partitions: 2, auxPartitions: 1 });
  }

  it('creates every catalog topic with its partitions and configs, and is idempotent', async () => {
    const { topics } = catalog();
    const first = await provisionTopics(admin, topics);
    expect(first.created.sort()).toEqual(topics.map((t) => t.name).sort());
    expect(first.mismatches).toEqual([]);

    const second = await provisionTopics(admin, topics);
    expect(second.created).toEqual([]);
    expect(second.unchanged.sort()).toEqual(topics.map((t) => t.name).sort());
    expect(second.mismatches).toEqual([]);

    const status = topics.find((t) => t.role === 'status')!;
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: status.name, configNames: ['cleanup.policy', 'retention.ms'] }],
    });
    const entries = Object.fromEntries(
      described.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]),
    );
    expect(entries['retention.ms']).toBe(String(7 * 24 * 3600 * 1000));
    expect(entries['cleanup.policy']?.split(',').sort()).toEqual(['compact', 'delete']);
  });

  it('reports a topic with fewer partitions or another config as a mismatch instead of accepting it', async () => {
    const { topics, names } = catalog();
    await admin.createTopics({
      waitForLeaders: false,
      topics: [
        { topic: names.jobs, numPartitions: 1, replicationFactor: 1 },
        {
          topic: names.results,
          numPartitions: 2,
          replicationFactor: 1,
          configEntries: [{ name: 'retention.ms', value: '1000' }],
        },
      ],
    });
    await waitForTopics(admin, [names.jobs, names.results]);
    const report = await provisionTopics(admin, topics);
    expect(report.mismatches).toEqual(
      expect.arrayContaining([
        { topic: names.jobs, problem: 'has 1 partitions, catalog says 2' },
        {
          topic: names.results,
          problem: `config retention.ms is 1000, catalog says ${30 * 24 * 3600 * 1000}`,
        },
      ]),
    );
    expect(report.created).not.toContain(names.jobs);
    await expect(ensureTopics(admin, topics)).rejects.toBeInstanceOf(TopicMismatchError);
    // Nothing was "fixed" behind the operator's back.
    const metadata = await admin.fetchTopicMetadata({ topics: [names.jobs] });
    expect(metadata.topics[0]?.partitions).toHaveLength(1);
  });

  it('in dry-run mode creates nothing and lists missing topics', async () => {
    const { topics } = catalog();
    const report = await provisionTopics(admin, topics, { dryRun: true });
    expect(report.created).toEqual([]);
    expect(report.mismatches).toHaveLength(topics.length);
    const existing = new Set(await admin.listTopics());
    expect(topics.some((t) => existing.has(t.name))).toBe(false);
  });
});
