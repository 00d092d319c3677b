import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import {
  cleanupTestResources,
  cleanupTestRun,
  createTestTopic,
  freePort,
  nameTokens,
  recordedTokens,
  TEST_RESOURCES_FILE_ENV,
  testKafka,
  uniqueName,
  waitFor,
} from '../src/index.ts';

describe('cleanup of test topics and consumer groups (real broker)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let dir: string;
  // No uniqueName token: a topic of someone else (like the pipeline's own `pipeline.*`), here
  // with a UUID in its name, whose first 8 hex digits after a word look a bit like a token.
  const unrelated = `cleanup-unrelated-${randomUUID()}`;
  // A token this run never drew: a topic of a parallel Jest run or of a benchmark.
  const otherRun = `bp-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}.jobs`;

  async function createTopic(topic: string): Promise<void> {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
  }

  /** A group with committed offsets on `topic`; the consumer is returned still in the group. */
  async function joinGroup(groupId: string, topic: string): Promise<Consumer> {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'x' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let seen = 0;
    await consumer.run({
      eachMessage: async () => {
        seen += 1;
      },
    });
    await waitFor(() => seen > 0, { description: `a record read by ${groupId}` });
    await waitFor(
      async () => {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return offsets?.partitions.some((p) => p.offset === '1') === true;
      },
      { description: `the commit of ${groupId}` },
    );
    return consumer;
  }

  async function present(): Promise<{ topics: Set<string>; groups: Set<string> }> {
    const fresh = testKafka().admin();
    await fresh.connect();
    try {
      const topics = new Set(await fresh.listTopics());
      const groups = new Set((await fresh.listGroups()).groups.map((g) => g.groupId));
      return { topics, groups };
    } finally {
      await fresh.disconnect();
    }
  }

  // A client that used a topic refreshes its metadata for it later and fails once another
  // client deleted it (UNKNOWN_TOPIC_OR_PARTITION): each test uses clients of its own, and the
  // checks use a fresh admin.
  beforeEach(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
  });

  afterEach(async () => {
    await admin.disconnect();
  });

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    await createTopic(unrelated);
    await createTopic(otherRun);
    await admin.disconnect();
    dir = mkdtempSync(join(tmpdir(), 'cleanup-int-'));
  });

  afterAll(async () => {
    const cleaner = testKafka().admin();
    await cleaner.connect();
    await cleaner.deleteTopics({ topics: [unrelated, otherRun] }).catch(() => undefined);
    await cleaner.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the integration tier records the names uniqueName issues in this run', () => {
    const file = process.env[TEST_RESOURCES_FILE_ENV];
    expect(file).toMatch(/test-resources\/\d+-[0-9a-z]+-[0-9a-f]{8}\.names$/);
    const name = uniqueName('recorded');
    expect(recordedTokens(file!)).toContain(nameTokens(name)[0]);
  });

  it('deletes the topics and groups of the given names, and nothing else', async () => {
    const a = await createTestTopic(admin, { partitions: 2 });
    const b = await createTestTopic(admin, { prefix: 'in' });
    // A KAFKA_TOPIC_PREFIX-style set: catalog topics and the service group under the prefix.
    const prefix = uniqueName('cw').replace(/-/g, '_');
    await createTopic(`${prefix}.jobs`);
    await createTopic(`${prefix}.claude-worker.retry.1`);
    const serviceGroup = `${prefix}.claude-worker`;
    const reader = uniqueName('reader');
    await (await joinGroup(serviceGroup, `${prefix}.jobs`)).disconnect();
    await (await joinGroup(reader, a)).disconnect();

    // The admin the test goes on using is passed in, so it forgets the deleted topics.
    const report = await cleanupTestResources({ names: [a, b, prefix, reader], admin });

    expect(report.errors).toEqual([]);
    expect(report.deletedTopics.sort()).toEqual(
      [a, b, `${prefix}.jobs`, `${prefix}.claude-worker.retry.1`].sort(),
    );
    expect(report.deletedGroups.sort()).toEqual([serviceGroup, reader].sort());
    const after = await present();
    for (const gone of report.deletedTopics) expect(after.topics.has(gone)).toBe(false);
    for (const gone of report.deletedGroups) expect(after.groups.has(gone)).toBe(false);
    expect(after.topics.has(unrelated)).toBe(true);
    expect(after.topics.has(otherRun)).toBe(true);
  });

  it("a run's record: deletes what its names made, then removes the record", async () => {
    const topic = await createTestTopic(admin);
    const group = uniqueName('g');
    await (await joinGroup(group, topic)).disconnect();
    // The record of a (simulated) run that drew these two names, plus lines that must not widen
    // anything.
    const file = join(dir, 'run.names');
    writeFileSync(
      file,
      [...[topic, group].map((n) => `${nameTokens(n)[0]} ${n}`), unrelated, 'pipeline.jobs'].join(
        '\n',
      ),
    );
    const pipelineTopics = (await admin.listTopics()).filter((t) => t.startsWith('pipeline.'));

    const { ok, line } = await cleanupTestRun(file);

    expect([ok, line]).toEqual([true, 'deleted 1 topics and 1 consumer groups of this run']);
    expect(existsSync(file)).toBe(false);
    const after = await present();
    expect(after.topics.has(topic)).toBe(false);
    expect(after.groups.has(group)).toBe(false);
    expect(after.topics.has(unrelated)).toBe(true);
    expect(after.topics.has(otherRun)).toBe(true);
    for (const t of pipelineTopics) expect(after.topics.has(t)).toBe(true);
  });

  it('a group with live members stays and is reported; nothing throws', async () => {
    const topic = await createTestTopic(admin);
    const group = uniqueName('live');
    const consumer = await joinGroup(group, topic);
    try {
      const report = await cleanupTestResources({ names: [group] });
      expect(report.leftGroups).toEqual([group]);
      expect(report.errors.join()).toContain('NON_EMPTY_GROUP');
    } finally {
      await consumer.disconnect();
    }
    const again = await cleanupTestResources({ names: [topic, group], admin });
    expect(again).toEqual({
      deletedTopics: [topic],
      deletedGroups: [group],
      leftTopics: [],
      leftGroups: [],
      errors: [],
    });
  });

  it('an unreachable broker is a reported error, not an exception', async () => {
    const report = await cleanupTestResources({
      names: [uniqueName('x')],
      brokers: [`127.0.0.1:${await freePort()}`],
      timeoutMs: 20_000,
    });
    expect(report.errors).toHaveLength(1);
    expect(report.deletedTopics).toEqual([]);
  });
});
