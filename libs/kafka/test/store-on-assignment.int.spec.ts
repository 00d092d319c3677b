/**
 * A partition's state store is restored before any record of that partition is processed, and
 * keeps the same contents across a consumer restart and a rebalance.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { createTestTopic, testKafka, uniqueName, waitFor } from '@claude-pipeline/testing';
import {
  createConcurrentConsumer,
  createStateStore,
  type ConcurrentConsumer,
  type StateStore,
} from '../src/index.ts';

const PARTITIONS = 2;
const KEYS = 60;

describe('state store restored on assignment (real broker)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const dirs: string[] = [];
  const running: { consumer: ConcurrentConsumer; store: StateStore<{ n: number }> }[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    producer = kafka.producer({ idempotent: true });
    await Promise.all([admin.connect(), producer.connect()]);
  });

  afterAll(async () => {
    for (const r of running) {
      await r.consumer.abort().catch(() => undefined);
      await r.store.closeAll().catch(() => undefined);
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  });

  it('never processes a record before its partition is restored, across a restart and a rebalance', async () => {
    const input = await createTestTopic(admin, { prefix: 'in', partitions: PARTITIONS });
    const changelog = await createTestTopic(admin, {
      prefix: 'changelog',
      partitions: PARTITIONS,
      configs: { 'cleanup.policy': 'compact' },
    });
    const groupId = uniqueName('g');
    const partitionOf = (i: number) => i % PARTITIONS;
    // The changelog holds n for every key, on the key's partition; k0 was later deleted.
    await producer.send({
      topic: changelog,
      acks: -1,
      messages: [
        ...Array.from({ length: KEYS }, (_, i) => ({
          key: `k${i}`,
          value: JSON.stringify({ n: i }),
          partition: partitionOf(i),
        })),
        { key: 'k0', value: null, partition: 0 },
      ],
    });

    const violations: string[] = [];
    const seen = new Map<string, number | undefined>();
    function start(dir: string) {
      const store = createStateStore<{ n: number }>({
        kafka,
        changelogTopic: changelog,
        dir,
        name: 'dedupe',
      });
      const consumer = createConcurrentConsumer({
        kafka,
        groupId,
        topics: [input],
        consumerConfig: { sessionTimeout: 6000, heartbeatInterval: 500 },
        prepare: async (_topic, partition) => {
          await store.restore(partition);
        },
        handler: async (r) => {
          const key = r.key!.toString();
          if (!store.isReady(r.partition)) violations.push(`${key} processed before restore`);
          seen.set(`${r.value!.toString()}:${key}`, store.get(r.partition, key)?.n);
        },
      });
      running.push({ consumer, store });
      return { consumer, store };
    }
    async function feed(round: string) {
      await producer.send({
        topic: input,
        acks: -1,
        messages: Array.from({ length: KEYS }, (_, i) => ({
          key: `k${i}`,
          value: round,
          partition: partitionOf(i),
        })),
      });
      await waitFor(
        () => [...seen.keys()].filter((k) => k.startsWith(`${round}:`)).length === KEYS,
        {
          timeoutMs: 30_000,
          description: `round ${round} processed`,
        },
      );
      for (let i = 0; i < KEYS; i += 1) {
        expect(seen.get(`${round}:k${i}`)).toBe(i === 0 ? undefined : i);
      }
    }

    const dirA = mkdtempSync(join(tmpdir(), 'store-a-'));
    const dirB = mkdtempSync(join(tmpdir(), 'store-b-'));
    dirs.push(dirA, dirB);

    // 1. One consumer owns both partitions.
    const a = start(dirA);
    await a.consumer.start();
    await feed('r1');

    // 2. Restart: a new instance on the same disk restores only the tail, same contents.
    await a.consumer.stop();
    await a.store.closeAll();
    const a2 = start(dirA);
    await a2.consumer.start();
    await feed('r2');

    // 3. Rebalance: a second instance with an empty disk joins and takes a partition over.
    const b = start(dirB);
    await b.consumer.start();
    await waitFor(
      async () => {
        const d = await admin.describeGroups([groupId]);
        return d.groups[0]?.members.length === 2 && d.groups[0]?.state === 'Stable';
      },
      { timeoutMs: 30_000, description: 'two members in the group' },
    );
    await feed('r3');
    expect(b.store.isReady(0) || b.store.isReady(1)).toBe(true);
    expect(violations).toEqual([]);
  }, 120_000);
});
