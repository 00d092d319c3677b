/**
 * kafkajs 2.2.4 against the local Kafka 4.x broker (KRaft): the protocol features the pipeline
 * relies on. If a Kafka upgrade breaks kafkajs, this is the test that says so first.
 */
import type { Admin, Consumer, EachMessagePayload, Kafka, Producer } from 'kafkajs';
import { createTestTopic, testKafka, uniqueName, waitFor } from '@claude-pipeline/testing';

describe('kafkajs against the local broker', () => {
  let kafka: Kafka;
  let admin: Admin;
  const toClose: (Producer | Consumer)[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
  });

  afterEach(async () => {
    await Promise.all(toClose.splice(0).map((c) => c.disconnect()));
  });

  afterAll(async () => {
    await admin.disconnect();
  });

  async function consumeAll(topic: string, groupId: string, expected: number) {
    const consumer = kafka.consumer({ groupId, readUncommitted: false });
    toClose.push(consumer);
    const seen: { key: string; value: string; partition: number; offset: string }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }: EachMessagePayload) => {
        seen.push({
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          partition,
          offset: message.offset,
        });
      },
    });
    await waitFor(() => seen.length >= expected, {
      description: `${expected} records on ${topic}`,
    });
    return { consumer, seen };
  }

  it('creates and describes topics through the admin API', async () => {
    const topic = await createTestTopic(admin, {
      partitions: 3,
      configs: { 'cleanup.policy': 'compact', 'retention.ms': '3600000' },
    });
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: 2 /* TOPIC */, name: topic, configNames: ['cleanup.policy', 'retention.ms'] },
      ],
    });
    const entries = Object.fromEntries(
      configs.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]),
    );
    expect(entries).toEqual({ 'cleanup.policy': 'compact', 'retention.ms': '3600000' });
  });

  it('produces with acks=all and an idempotent producer, and a group consumes every record', async () => {
    const topic = await createTestTopic(admin, { partitions: 3 });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    toClose.push(producer);
    await producer.connect();
    const messages = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 7}`, value: `v${i}` }));
    const acks = await producer.send({ topic, acks: -1, messages });
    expect(acks.every((a) => a.errorCode === 0)).toBe(true);

    const { consumer, seen } = await consumeAll(topic, uniqueName('group'), 30);
    expect(seen.map((r) => r.value).sort()).toEqual(messages.map((m) => m.value).sort());
    // The same key always lands on the same partition.
    const partitionOfKey = new Map<string, number>();
    for (const r of seen) {
      expect(partitionOfKey.get(r.key) ?? r.partition).toBe(r.partition);
      partitionOfKey.set(r.key, r.partition);
    }
    await consumer.disconnect();
  });

  it('runs a transactional consume-transform-produce with sendOffsets (exactly once)', async () => {
    const input = await createTestTopic(admin, { prefix: 'in' });
    const output = await createTestTopic(admin, { prefix: 'out' });
    const groupId = uniqueName('eos');

    const seed = kafka.producer({ idempotent: true });
    toClose.push(seed);
    await seed.connect();
    await seed.send({
      topic: input,
      acks: -1,
      messages: ['a', 'b', 'c', 'd'].map((v) => ({ key: v, value: v })),
    });

    const txProducer = kafka.producer({
      transactionalId: uniqueName('tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    toClose.push(txProducer);
    await txProducer.connect();

    // Transform the first 2 records in a committed transaction, the next 2 in an aborted one.
    const consumer = kafka.consumer({ groupId });
    toClose.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: input, fromBeginning: true });
    let handled = 0;
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message, partition }) => {
        const index = handled;
        handled += 1;
        const tx = await txProducer.transaction();
        await tx.send({
          topic: output,
          messages: [{ key: message.key, value: `${message.value?.toString()}!` }],
        });
        await tx.sendOffsets({
          consumerGroupId: groupId,
          topics: [
            {
              topic: input,
              partitions: [{ partition, offset: String(Number(message.offset) + 1) }],
            },
          ],
        });
        if (index < 2) await tx.commit();
        else await tx.abort();
      },
    });
    await waitFor(() => handled >= 4, { description: '4 records handled' });
    await consumer.disconnect();

    // A read_committed reader sees only the committed transformations...
    const reader = kafka.consumer({ groupId: uniqueName('reader'), readUncommitted: false });
    toClose.push(reader);
    const values: string[] = [];
    await reader.connect();
    await reader.subscribe({ topic: output, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => void values.push(message.value!.toString()),
    });
    await waitFor(() => values.length >= 2, { description: 'committed output' });
    // ...and nothing of the aborted ones, even after a moment.
    await new Promise((r) => setTimeout(r, 1000));
    expect(values).toEqual(['a!', 'b!']);

    // The committed group offset advanced only with the committed transactions.
    const offsets = await admin.fetchOffsets({ groupId, topics: [input] });
    expect(offsets[0]?.partitions[0]?.offset).toBe('2');
  });
});
