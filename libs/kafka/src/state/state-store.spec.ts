import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { currentBootId } from './bulk-marker.ts';
import { createFakeChangelogReader, type FakeChangelogReader } from './fake-changelog-reader.ts';
import { createStateStore, EXPIRES_AT_HEADER, StateStoreError, type StateStore } from './index.ts';

interface Seen {
  jobId: string;
}

const json = (value: unknown) => JSON.stringify(value);

describe('state store', () => {
  let dir: string;
  let reader: FakeChangelogReader;
  let now: number;
  const stores: StateStore<Seen>[] = [];

  const newStore = (overrides: { bulkRestoreMinOffsets?: number } = {}) => {
    const store = createStateStore<Seen>({
      kafka: {} as Kafka, // never used: the fake reader replaces the Kafka one
      changelogTopic: 'dedupe.changelog',
      dir,
      name: 'dedupe',
      reader,
      clock: () => now,
      bulkRestoreMinOffsets: overrides.bulkRestoreMinOffsets ?? 1_000_000,
    });
    stores.push(store);
    return store;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'state-store-'));
    reader = createFakeChangelogReader('dedupe.changelog');
    now = 1_700_000_000_000;
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.closeAll()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses reads of a partition that is not restored', () => {
    const store = newStore();
    expect(() => store.get(0, 'a')).toThrow(StateStoreError);
    expect(() => store.has(0, 'a')).toThrow(/not restored/);
    expect(store.isReady(0)).toBe(false);
  });

  it('validates its options at once', () => {
    const base = { kafka: {} as Kafka, changelogTopic: 't', dir: '/tmp', reader };
    expect(() => createStateStore({ ...base, name: '../x' })).toThrow(StateStoreError);
    expect(() => createStateStore({ ...base, name: 'ok', maxLocalStaleMs: 0 })).toThrow(
      /maxLocalStaleMs/,
    );
    expect(() => createStateStore({ ...base, name: 'ok', changelogTopic: '' })).toThrow(
      /changelogTopic/,
    );
  });

  it('restores a partition into an empty dir', async () => {
    reader.append(1, { key: 'a', value: json({ jobId: 'j1' }) });
    reader.append(1, { key: 'b', value: json({ jobId: 'j2' }) });
    reader.append(1, { key: 'a', value: null });
    reader.append(1, { key: 'c', value: json({ jobId: 'j3' }) });
    const store = newStore();

    const stats = await store.restore(1);

    expect(stats).toMatchObject({
      partition: 1,
      records: 4,
      fromOffset: 0,
      toOffset: 4,
      rebuilt: true,
    });
    expect(store.isReady(1)).toBe(true);
    expect(store.get(1, 'a')).toBeUndefined();
    expect(store.get(1, 'b')).toEqual({ jobId: 'j2' });
    expect(store.has(1, 'c')).toBe(true);
    expect(store.size(1)).toBe(2);
    expect(existsSync(join(dir, 'dedupe', '1'))).toBe(true);
  });

  it('replays only the tail after the checkpoint when restarted on an intact dir', async () => {
    reader.append(0, { key: 'a', value: json({ jobId: 'j1' }) });
    reader.append(0, { key: 'b', value: json({ jobId: 'j2' }) });
    await newStore().restore(0);
    await stores[0]!.closeAll();

    reader.append(0, { key: 'c', value: json({ jobId: 'j3' }) });
    reader.append(0, { key: 'a', value: null });
    const restarted = newStore();
    const stats = await restarted.restore(0);

    expect(stats).toMatchObject({ records: 2, fromOffset: 2, toOffset: 4, rebuilt: false });
    expect([...restarted.entries(0)].map((e) => [e.key, e.value])).toEqual([
      ['b', { jobId: 'j2' }],
      ['c', { jobId: 'j3' }],
    ]);
  });

  it('reaches the end even when the last offsets hold no committed record', async () => {
    reader.append(0, { key: 'a', value: json({ jobId: 'j1' }) });
    reader.bounds.set(0, { low: 0, end: 5 }); // 1..4: aborted records and transaction markers
    const store = newStore();
    expect(await store.restore(0)).toMatchObject({ records: 1, toOffset: 5 });
    await store.close(0);
    expect(await store.restore(0)).toMatchObject({ records: 0, fromOffset: 5, toOffset: 5 });
  });

  it('stages changelog records and applies them only when told to', async () => {
    const store = newStore();
    await store.restore(0);

    const put = store.stage(0, 'tenant:key', { jobId: 'j9' }, { expiresAt: now + 1000 });
    const del = store.stage(0, 'gone', null);
    expect(put).toEqual({
      key: Buffer.from('tenant:key'),
      value: Buffer.from(json({ jobId: 'j9' })),
      partition: 0,
      headers: { [EXPIRES_AT_HEADER]: String(now + 1000) },
    });
    expect(del).toEqual({ key: Buffer.from('gone'), value: null, partition: 0, headers: {} });
    expect(store.has(0, 'tenant:key')).toBe(false);

    await store.apply(0, [put, del]);
    expect(store.get(0, 'tenant:key')).toEqual({ jobId: 'j9' });
  });

  it('rejects bad staging arguments', () => {
    const store = newStore();
    expect(() => store.stage(0, '', { jobId: 'x' })).toThrow(/keys must be/);
    expect(() => store.stage(0, 'x'.repeat(1025), { jobId: 'x' })).toThrow(/keys must be/);
    expect(() => store.stage(-1, 'a', { jobId: 'x' })).toThrow(/partition/);
    expect(() => store.stage(0, 'a', { jobId: 'x' }, { expiresAt: 1.5 })).toThrow(/expiresAt/);
  });

  it('refuses to apply a record staged for another partition', async () => {
    const store = newStore();
    await store.restore(0);
    await expect(store.apply(0, [store.stage(1, 'a', { jobId: 'x' })])).rejects.toThrow(
      /staged for partition 1/,
    );
  });

  it('moves the checkpoint with the changelog offset given to apply', async () => {
    reader.append(0, { key: 'a', value: json({ jobId: 'j1' }) });
    const store = newStore();
    await store.restore(0);
    // The caller produced two records at offsets 1 and 2 and committed.
    const staged = [store.stage(0, 'b', { jobId: 'j2' }), store.stage(0, 'c', { jobId: 'j3' })];
    for (const m of staged) reader.append(0, { key: m.key.toString(), value: m.value!.toString() });
    await store.apply(0, staged, 3);
    await store.close(0);

    expect(await store.restore(0)).toMatchObject({ records: 0, fromOffset: 3 });
    expect(store.size(0)).toBe(3);
  });

  it('lists expired entries and removes them through staged tombstones', async () => {
    reader.append(0, {
      key: 'old',
      value: json({ jobId: 'j1' }),
      headers: { [EXPIRES_AT_HEADER]: String(now - 1) },
    });
    reader.append(0, {
      key: 'new',
      value: json({ jobId: 'j2' }),
      headers: { [EXPIRES_AT_HEADER]: String(now + 1) },
    });
    const store = newStore();
    await store.restore(0);

    const expired = store.expired(0, now, 100);
    expect(expired).toEqual([{ key: 'old', expiresAt: now - 1 }]);
    await store.apply(
      0,
      expired.map((e) => store.stage(0, e.key, null)),
    );
    expect(store.expired(0, now, 100)).toEqual([]);
    expect(store.has(0, 'old')).toBe(false);
    expect(() => store.expired(0, now, -1)).toThrow(/limit/);
  });

  it('rebuilds when the checkpoint is beyond the changelog end (topic recreated)', async () => {
    for (let i = 0; i < 5; i++) reader.append(0, { key: `k${i}`, value: json({ jobId: `j${i}` }) });
    await newStore().restore(0);
    await stores[0]!.closeAll();

    reader.log.set(0, []);
    reader.append(0, { key: 'fresh', value: json({ jobId: 'f' }) });
    const store = newStore();
    expect(await store.restore(0)).toMatchObject({ rebuilt: true, fromOffset: 0, records: 1 });
    expect([...store.entries(0)].map((e) => e.key)).toEqual(['fresh']);
  });

  it('rebuilds a local DB left unwritten for longer than tombstones are kept', async () => {
    reader.append(0, { key: 'a', value: json({ jobId: 'j1' }) });
    await newStore().restore(0);
    await stores[0]!.closeAll();

    now += 13 * 3_600_000;
    const stats = await newStore().restore(0);
    expect(stats).toMatchObject({ rebuilt: true, fromOffset: 0, records: 1 });
    expect(stats.reason).toMatch(/last written/);
  });

  it('rebuilds a local DB that cannot be opened', async () => {
    reader.append(0, { key: 'a', value: json({ jobId: 'j1' }) });
    await newStore().restore(0);
    await stores[0]!.closeAll();
    writeFileSync(join(dir, 'dedupe', '0', 'data.mdb'), 'not an LMDB file');

    const store = newStore();
    expect(await store.restore(0)).toMatchObject({ rebuilt: true, records: 1 });
    expect(store.get(0, 'a')).toEqual({ jobId: 'j1' });
  });

  it('runs a large restore in bulk mode and leaves no marker behind', async () => {
    for (let i = 0; i < 20; i++)
      reader.append(0, { key: `k${i}`, value: json({ jobId: `j${i}` }) });
    const store = newStore({ bulkRestoreMinOffsets: 10 });
    expect(await store.restore(0)).toMatchObject({ bulk: true, records: 20 });
    expect(readdirSync(join(dir, 'dedupe', '0'))).not.toContain('BULK-RESTORE');
    expect(store.size(0)).toBe(20);
    await store.apply(0, [store.stage(0, 'k0', null)]);
    expect(store.size(0)).toBe(19);
  });

  it('resumes an interrupted bulk restore from its checkpoint within the same boot', async () => {
    for (let i = 0; i < 20; i++)
      reader.append(0, { key: `k${i}`, value: json({ jobId: `j${i}` }) });
    reader.gate = new Promise(() => undefined); // the first restore never gets any record
    const first = newStore({ bulkRestoreMinOffsets: 10 });
    const interrupted = first.restore(0);
    while (reader.reads.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    await first.close(0); // aborts it
    await expect(interrupted).rejects.toThrow();
    expect(readdirSync(join(dir, 'dedupe', '0'))).toContain('BULK-RESTORE');

    reader.gate = undefined;
    const second = newStore({ bulkRestoreMinOffsets: 10 });
    expect(await second.restore(0)).toMatchObject({ bulk: true, records: 20 });
    expect(readdirSync(join(dir, 'dedupe', '0'))).not.toContain('BULK-RESTORE');
  });

  it('deletes a DB whose bulk restore was cut short by a machine crash', async () => {
    for (let i = 0; i < 3; i++) reader.append(0, { key: `k${i}`, value: json({ jobId: `j${i}` }) });
    await newStore().restore(0);
    await stores[0]!.closeAll();
    writeFileSync(join(dir, 'dedupe', '0', 'BULK-RESTORE'), `not-${currentBootId()}\n`);

    const stats = await newStore().restore(0);
    expect(stats).toMatchObject({ rebuilt: true, fromOffset: 0, records: 3 });
  });

  it('shares one restore between concurrent calls for a partition', async () => {
    reader.append(2, { key: 'a', value: json({ jobId: 'j1' }) });
    const store = newStore();
    const [a, b] = await Promise.all([store.restore(2), store.restore(2)]);
    expect(a).toBe(b);
    expect(reader.reads).toHaveLength(1);
  });

  it('closes a partition but keeps its files, and drops one with its files', async () => {
    reader.append(0, { key: 'a', value: json({ jobId: 'j1' }) });
    reader.append(1, { key: 'b', value: json({ jobId: 'j2' }) });
    const store = newStore();
    await Promise.all([store.restore(0), store.restore(1)]);

    await store.close(0);
    expect(store.isReady(0)).toBe(false);
    expect(existsSync(join(dir, 'dedupe', '0'))).toBe(true);
    await store.drop(1);
    expect(existsSync(join(dir, 'dedupe', '1'))).toBe(false);
    expect(() => store.get(1, 'b')).toThrow(/not restored/);
  });
});
