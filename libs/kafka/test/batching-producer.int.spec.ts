import type { Admin, Kafka, Producer } from 'kafkajs';
import { createTestTopic, testKafka, waitFor } from '@claude-pipeline/testing';
import { createBatchingProducer, type BatchingProducer } from '../src/index.ts';

/**
 * A produce request the broker rejects in part (one partition's batch too large for its topic,
 * the others appended): kafkajs rolls back the sequence numbers of every partition of the
 * request, so the idempotent producer is out of step with the broker for the appended ones
 * (OUT_OF_ORDER_SEQUENCE_NUMBER on every later send to them, or a later batch taken for a
 * duplicate and dropped). The batching producer renews its producer and sends the neighbours
 * one by one: every good record lands, later sends work, only the bad record fails.
 */
describe('batching producer after a request rejected in part (real broker)', () => {
  let kafka: Kafka;
  let admin: Admin;
  const producers: Producer[] = [];

  const connected = async () => {
    const p = kafka.producer({ idempotent: true });
    await p.connect();
    producers.push(p);
    return p;
  };

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
    await admin.disconnect();
  });

  async function countRecords(topic: string): Promise<number> {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  }

  async function scenario(batching: BatchingProducer, small: string, wide: string) {
    // One request: 12 small records over 4 partitions of `wide`, one too large for `small`.
    const good = Array.from({ length: 12 }, (_, i) =>
      batching.send({ topic: wide, key: `k${i}`, value: `v${i}` }),
    );
    const bad = batching.send({ topic: small, key: 'big', value: Buffer.alloc(20_000, 'x') });
    const outcomes = await Promise.allSettled([...good, bad]);
    // Later requests to the same partitions.
    const later = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        batching.send({ topic: wide, key: `k${i}`, value: `later-${i}` }),
      ),
    );
    return { outcomes, later };
  }

  it('renews the producer: the neighbours of the rejected record and every later record land', async () => {
    const small = await createTestTopic(admin, {
      prefix: 'bp-small',
      configs: { 'max.message.bytes': '10000' },
    });
    const wide = await createTestTopic(admin, { prefix: 'bp-wide', partitions: 4 });
    const batching = createBatchingProducer({
      producer: await connected(),
      lingerMs: 50,
      isolateRecordBytes: 1_000_000, // let the large record share the request
      renew: async () => connected(),
    });
    const { outcomes, later } = await scenario(batching, small, wide);

    expect(outcomes.slice(0, 12).every((o) => o.status === 'fulfilled')).toBe(true);
    const last = outcomes[12];
    expect(last?.status).toBe('rejected');
    expect((last as PromiseRejectedResult).reason).toMatchObject({ type: 'MESSAGE_TOO_LARGE' });
    expect(later.every((o) => o.status === 'fulfilled')).toBe(true);
    expect(batching.renewals).toBe(1);
    // At least once: all 24 good records are there (the first 12 may be there twice).
    await waitFor(async () => (await countRecords(wide)) >= 24, {
      description: 'every good record on the topic',
    });
    expect(await countRecords(small)).toBe(0);
  });

  it('sends a large record in a request of its own, so a rejection never needs a renewal', async () => {
    const small = await createTestTopic(admin, {
      prefix: 'bp-small',
      configs: { 'max.message.bytes': '10000' },
    });
    const wide = await createTestTopic(admin, { prefix: 'bp-wide', partitions: 4 });
    const batching = createBatchingProducer({
      producer: await connected(),
      lingerMs: 50,
      isolateRecordBytes: 16 * 1024,
      renew: async () => connected(),
    });
    const { outcomes, later } = await scenario(batching, small, wide);

    expect(outcomes.slice(0, 12).every((o) => o.status === 'fulfilled')).toBe(true);
    expect(outcomes[12]?.status).toBe('rejected');
    expect(later.every((o) => o.status === 'fulfilled')).toBe(true);
    expect(batching.renewals).toBe(0);
    expect(await countRecords(wide)).toBe(24); // exactly once: nothing was re-sent
  });
});
