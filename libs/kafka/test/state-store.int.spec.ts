/**
 * The changelog-backed state store against the real broker: restore from a compacted changelog
 * written by transactional producers, as dedupe writes it.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { createTestTopic, testKafka, uniqueName } from '@claude-pipeline/testing';
import { createStateStore, type ChangelogMessage, type StateStore } from '../src/state/index.ts';

interface FirstSeen {
  jobId: string;
  n: number;
}

const PARTITIONS = 3;

describe('state store against the real broker', () => {
  let kafka: Kafka;
  let admin: Admin;
  let dir: string;
  let topic: string;
  const stores: StateStore<FirstSeen>[] = [];
  const producers: Producer[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
  });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'state-store-int-'));
    topic = await createTestTopic(admin, {
      prefix: 'changelog',
      partitions: PARTITIONS,
      configs: { 'cleanup.policy': 'compact' },
    });
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.closeAll()));
    await Promise.all(producers.splice(0).map((p) => p.disconnect()));
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  afterAll(async () => {
    await admin.disconnect();
  });

  function newStore(options: { bulkRestoreMinOffsets?: number } = {}): StateStore<FirstSeen> {
    const store = createStateStore<FirstSeen>({
      kafka,
      changelogTopic: topic,
      dir,
      name: 'dedupe',
      restoreStallTimeoutMs: 20_000,
      ...options,
    });
    stores.push(store);
    return store;
  }

  async function transactionalProducer(): Promise<Producer> {
    const producer = kafka.producer({
      transactionalId: uniqueName('tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    producers.push(producer);
    await producer.connect();
    return producer;
  }

  /** Produces in one transaction and commits (or aborts); returns next offset per partition. */
  async function inTransaction(
    producer: Producer,
    messages: ChangelogMessage[],
    outcome: 'commit' | 'abort' = 'commit',
  ): Promise<Map<number, number>> {
    const transaction = await producer.transaction();
    const metadata = await transaction.send({ topic, acks: -1, messages: [...messages] });
    if (outcome === 'commit') await transaction.commit();
    else await transaction.abort();
    const next = new Map<number, number>();
    for (const m of metadata) {
      const count = messages.filter((msg) => msg.partition === m.partition).length;
      next.set(m.partition, Number(m.baseOffset) + count);
    }
    return next;
  }

  const restoreAll = (store: StateStore<FirstSeen>) =>
    Promise.all(Array.from({ length: PARTITIONS }, (_, p) => store.restore(p)));

  const contents = (store: StateStore<FirstSeen>, partition: number) =>
    Object.fromEntries([...store.entries(partition)].map((e) => [e.key, e.value]));

  /** Writes `count` keys spread over the partitions, then tombstones every 5th, 10 per transaction. */
  async function seed(store: StateStore<FirstSeen>, count: number) {
    const expected = Array.from({ length: PARTITIONS }, () => new Map<string, FirstSeen>());
    const producer = await transactionalProducer();
    const puts = Array.from({ length: count }, (_, i) => {
      const partition = i % PARTITIONS;
      const key = `tenant-a:idem-${i}`;
      const value = { jobId: `job-${i}`, n: i };
      expected[partition]!.set(key, value);
      return store.stage(partition, key, value);
    });
    for (let i = 0; i < puts.length; i += 10) await inTransaction(producer, puts.slice(i, i + 10));
    const tombstones = [];
    for (let i = 0; i < count; i += 5) {
      const partition = i % PARTITIONS;
      expected[partition]!.delete(`tenant-a:idem-${i}`);
      tombstones.push(store.stage(partition, `tenant-a:idem-${i}`, null));
    }
    await inTransaction(producer, tombstones);
    return expected.map((m) => Object.fromEntries(m));
  }

  it('restores puts and tombstones from a transactional changelog into an empty dir', async () => {
    const store = newStore({ bulkRestoreMinOffsets: 50 });
    const expected = await seed(store, 300);

    const stats = await restoreAll(store);

    for (let p = 0; p < PARTITIONS; p++) expect(contents(store, p)).toEqual(expected[p]);
    expect(store.get(0, 'tenant-a:idem-0')).toBeUndefined(); // tombstoned
    expect(store.get(1, 'tenant-a:idem-1')).toEqual({ jobId: 'job-1', n: 1 });
    expect(stats.map((s) => s.records)).toEqual([120, 120, 120]); // 100 puts + 20 tombstones each
    expect(stats.every((s) => s.rebuilt && s.bulk && s.fromOffset === 0)).toBe(true);
    expect(readdirSync(join(dir, 'dedupe')).sort()).toEqual(['0', '1', '2']);
    expect(readdirSync(join(dir, 'dedupe', '0'))).not.toContain('BULK-RESTORE');
  });

  it('restarted on an intact dir, replays only the records written since', async () => {
    const first = newStore();
    const expected = await seed(first, 90);
    const before = await restoreAll(first);
    await first.closeAll();

    const producer = await transactionalProducer();
    const added = Array.from({ length: 7 }, (_, i) => ({
      key: `tenant-b:new-${i}`,
      value: { jobId: `new-${i}`, n: i },
    }));
    await inTransaction(
      producer,
      added.map((a) => first.stage(0, a.key, a.value)),
    );
    await inTransaction(producer, [first.stage(0, 'tenant-a:idem-3', null)]);
    for (const a of added) expected[0]![a.key] = a.value;
    delete expected[0]!['tenant-a:idem-3'];

    const restarted = newStore();
    const after = await restoreAll(restarted);

    expect(after.map((s) => s.records)).toEqual([8, 0, 0]);
    expect(after.map((s) => s.fromOffset)).toEqual(before.map((s) => s.toOffset));
    expect(after.every((s) => !s.rebuilt)).toBe(true);
    for (let p = 0; p < PARTITIONS; p++) expect(contents(restarted, p)).toEqual(expected[p]);
  });

  it('never applies records of an aborted transaction', async () => {
    const store = newStore();
    const producer = await transactionalProducer();
    await inTransaction(producer, [
      store.stage(0, 'kept', { jobId: 'committed', n: 1 }),
      store.stage(1, 'other', { jobId: 'committed', n: 2 }),
    ]);
    await inTransaction(
      producer,
      [
        store.stage(0, 'kept', { jobId: 'aborted', n: 0 }),
        store.stage(0, 'ghost', { jobId: 'aborted', n: 0 }),
        store.stage(0, 'other', null),
      ],
      'abort',
    );
    await inTransaction(producer, [store.stage(0, 'late', { jobId: 'committed', n: 3 })]);
    // An aborted transaction at the very end too: the restore must still reach the end.
    await inTransaction(producer, [store.stage(0, 'ghost-2', { jobId: 'aborted', n: 0 })], 'abort');

    const [p0] = await restoreAll(store);

    expect(contents(store, 0)).toEqual({
      kept: { jobId: 'committed', n: 1 },
      late: { jobId: 'committed', n: 3 },
    });
    expect(p0!.records).toBe(2);
    expect(store.get(1, 'other')).toEqual({ jobId: 'committed', n: 2 });
  });

  it('rebuilds the same contents after its dir is deleted', async () => {
    const store = newStore();
    const expected = await seed(store, 60);
    await restoreAll(store);
    const before = [0, 1, 2].map((p) => contents(store, p));
    await store.closeAll();
    rmSync(join(dir, 'dedupe'), { recursive: true, force: true });

    const rebuilt = newStore();
    const stats = await restoreAll(rebuilt);

    expect(stats.every((s) => s.rebuilt && s.fromOffset === 0)).toBe(true);
    expect([0, 1, 2].map((p) => contents(rebuilt, p))).toEqual(before);
    expect(before).toEqual(expected);
  });

  it('lists expired entries, and their committed tombstones survive a restore', async () => {
    const now = Date.now();
    const store = newStore();
    const producer = await transactionalProducer();
    await inTransaction(producer, [
      store.stage(2, 'expired-1', { jobId: 'a', n: 1 }, { expiresAt: now - 2000 }),
      store.stage(2, 'expired-2', { jobId: 'b', n: 2 }, { expiresAt: now - 1000 }),
      store.stage(2, 'fresh', { jobId: 'c', n: 3 }, { expiresAt: now + 60_000 }),
      store.stage(2, 'forever', { jobId: 'd', n: 4 }),
    ]);
    await store.restore(2);

    const expired = store.expired(2, now, 100);
    expect(expired).toEqual([
      { key: 'expired-1', expiresAt: now - 2000 },
      { key: 'expired-2', expiresAt: now - 1000 },
    ]);
    // As dedupe does: tombstones in a transaction, applied locally once it committed.
    const tombstones = expired.map((e) => store.stage(2, e.key, null));
    const next = await inTransaction(producer, tombstones);
    await store.apply(2, tombstones, next.get(2));
    expect(store.expired(2, now, 100)).toEqual([]);
    expect(store.has(2, 'expired-1')).toBe(false);
    await store.closeAll();

    const restarted = newStore();
    const stats = await restarted.restore(2);
    expect(stats.records).toBe(0); // the checkpoint followed the applied tombstones
    expect(Object.keys(contents(restarted, 2)).sort()).toEqual(['forever', 'fresh']);
    expect(restarted.expired(2, now + 120_000, 100).map((e) => e.key)).toEqual(['fresh']);

    rmSync(join(dir, 'dedupe'), { recursive: true, force: true });
    const rebuilt = newStore();
    await rebuilt.restore(2);
    expect(Object.keys(contents(rebuilt, 2)).sort()).toEqual(['forever', 'fresh']);
    expect(rebuilt.expired(2, now, 100)).toEqual([]);
  });

  it('restores an empty changelog partition', async () => {
    const store = newStore();
    const stats = await store.restore(1);
    expect(stats).toMatchObject({ records: 0, fromOffset: 0, toOffset: 0 });
    expect(store.size(1)).toBe(0);
    expect(existsSync(join(dir, 'dedupe', '1'))).toBe(true);
  });

  it('fails with a non-retriable error for a partition the changelog does not have', async () => {
    const store = newStore();
    await expect(store.restore(PARTITIONS)).rejects.toMatchObject({ retriable: false });
  });
});
