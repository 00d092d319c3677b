import type { Admin, Kafka, Producer } from 'kafkajs';
import { createTestTopic, testKafka, uniqueName, waitFor } from '@claude-pipeline/testing';
import {
  createConcurrentConsumer,
  type ConcurrentConsumer,
  type ConsumedRecord,
} from '../src/index.ts';

describe('concurrent consumer (real broker)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const consumers: ConcurrentConsumer[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    producer = kafka.producer({ idempotent: true });
    await Promise.all([admin.connect(), producer.connect()]);
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.abort().catch(() => undefined)));
  });

  afterAll(async () => {
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  });

  async function produce(topic: string, count: number, partition?: number) {
    const messages = Array.from({ length: count }, (_, i) => ({
      key: `k${i}`,
      value: `v${i}`,
      ...(partition === undefined ? {} : { partition }),
    }));
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500) });
    }
  }

  function start(options: Parameters<typeof createConcurrentConsumer>[0]) {
    const c = createConcurrentConsumer(options);
    consumers.push(c);
    return c;
  }

  async function committedOffset(groupId: string, topic: string, partition = 0) {
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Number(offsets[0]?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
  }

  it('runs many messages of one partition at once (in-flight limit 100, 50 ms handler)', async () => {
    const topic = await createTestTopic(admin, { partitions: 1 });
    await produce(topic, 400);
    let running = 0;
    let peak = 0;
    const seen = new Set<string>();
    const c = start({
      kafka,
      groupId: uniqueName('g'),
      topics: [topic],
      maxInFlight: 100,
      handler: async (r) => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 50));
        running -= 1;
        seen.add(r.offset);
      },
    });
    await c.start();
    await waitFor(() => seen.size === 400, { timeoutMs: 30_000, description: '400 handled' });
    expect(peak).toBeGreaterThanOrEqual(50);
    expect(peak).toBeLessThanOrEqual(100);
  });

  it('after a kill, restarts at the first unfinished record and replays no more than the in-flight limit', async () => {
    const topic = await createTestTopic(admin, { partitions: 1 });
    const groupId = uniqueName('g');
    await produce(topic, 200);
    const firstRun = new Set<number>();
    const limit = 20;
    const first = start({
      kafka,
      groupId,
      topics: [topic],
      maxInFlight: limit,
      commitIntervalMs: 50,
      handler: async (r) => {
        if (r.offset === '0') return new Promise<void>(() => undefined); // slow: never finishes
        firstRun.add(Number(r.offset));
      },
    });
    await first.start();
    // The window fills behind the slow head record and the partition is paused.
    await waitFor(() => firstRun.size === limit - 1, { description: 'window filled' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(firstRun.size).toBe(limit - 1);
    expect(await committedOffset(groupId, topic)).toBeLessThanOrEqual(0);
    await first.abort(); // a crash: no drain, no final commit

    const secondRun: number[] = [];
    const second = start({
      kafka,
      groupId,
      topics: [topic],
      maxInFlight: limit,
      handler: async (r) => void secondRun.push(Number(r.offset)),
    });
    await second.start();
    await waitFor(() => secondRun.length >= 200, {
      timeoutMs: 30_000,
      description: 'all 200 handled',
    });
    expect(Math.min(...secondRun)).toBe(0);
    const replayed = secondRun.filter((o) => firstRun.has(o)).length;
    expect(replayed).toBeLessThanOrEqual(limit);
    await second.stop();
    expect(await committedOffset(groupId, topic)).toBe(200);
  });

  it('loses no message when a consumer is killed mid-flight and another takes over', async () => {
    const topic = await createTestTopic(admin, { partitions: 3 });
    const groupId = uniqueName('g');
    await produce(topic, 600);
    const handled = new Set<string>();
    const handler = async (r: ConsumedRecord) => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
      handled.add(r.value!.toString());
    };
    const first = start({
      kafka,
      groupId,
      topics: [topic],
      maxInFlight: 50,
      commitIntervalMs: 20,
      handler,
    });
    await first.start();
    await waitFor(() => handled.size >= 200, { description: '200 handled before the kill' });
    await first.abort();
    const second = start({ kafka, groupId, topics: [topic], maxInFlight: 50, handler });
    await second.start();
    await waitFor(() => handled.size === 600, {
      timeoutMs: 30_000,
      description: 'all 600 handled',
    });
  });

  it('keeps per-key order when asked', async () => {
    const topic = await createTestTopic(admin, { partitions: 1 });
    const messages = Array.from({ length: 200 }, (_, i) => ({
      key: `k${i % 5}`,
      value: String(i),
    }));
    await producer.send({ topic, acks: -1, messages });
    const byKey = new Map<string, number[]>();
    let done = 0;
    const c = start({
      kafka,
      groupId: uniqueName('g'),
      topics: [topic],
      perKeyOrdering: true,
      handler: async (r) => {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
        const list = byKey.get(r.key!.toString()) ?? [];
        list.push(Number(r.value!.toString()));
        byKey.set(r.key!.toString(), list);
        done += 1;
      },
    });
    await c.start();
    await waitFor(() => done === 200, { description: '200 handled' });
    for (const list of byKey.values()) expect(list).toEqual([...list].sort((a, b) => a - b));
  });

  it('drains on stop: in-flight handlers finish and their offsets are committed', async () => {
    const topic = await createTestTopic(admin, { partitions: 1 });
    const groupId = uniqueName('g');
    await produce(topic, 50);
    let finished = 0;
    const c = start({
      kafka,
      groupId,
      topics: [topic],
      maxInFlight: 50,
      commitIntervalMs: 60_000, // only the final commit of stop() can commit
      handler: async () => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        finished += 1;
      },
    });
    await c.start();
    await waitFor(() => c.inFlight > 0, { description: 'handlers running' });
    await c.stop();
    expect(c.inFlight).toBe(0);
    expect(finished).toBeGreaterThan(0);
    // One partition, dispatched in order: every finished handler is in the committed prefix.
    expect(await committedOffset(groupId, topic)).toBe(finished);
  });
});
