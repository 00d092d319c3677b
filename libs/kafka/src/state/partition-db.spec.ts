import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXPIRES_AT_HEADER } from './codec.ts';
import {
  MAX_ENTRY_KEY_BYTES,
  openPartitionDb,
  type ChangelogRecord,
  type PartitionDb,
} from './partition-db.ts';

const put = (key: string, value: string, expiresAt?: number): ChangelogRecord => ({
  key: Buffer.from(key),
  value: Buffer.from(value),
  headers: expiresAt === undefined ? {} : { [EXPIRES_AT_HEADER]: String(expiresAt) },
});
const tombstone = (key: string): ChangelogRecord => ({ key: Buffer.from(key), value: null });
const k = (key: string) => Buffer.from(key);

describe('partition DB', () => {
  let dir: string;
  let path: string;
  let db: PartitionDb;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'state-db-'));
    path = join(dir, 'store', '3');
    db = openPartitionDb({ path, topic: 'changelog', partition: 3 });
  });

  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies puts and tombstones in order', async () => {
    await db.apply(
      [put('a', '1'), put('b', '2'), put('a', '3'), tombstone('b'), tombstone('never')],
      {
        now: 1,
      },
    );
    expect(db.value(k('a'))?.toString()).toBe('3');
    expect(db.has(k('a'))).toBe(true);
    expect(db.has(k('b'))).toBe(false);
    expect(db.value(k('b'))).toBeUndefined();
    expect(db.size()).toBe(1);
    expect([...db.entries()].map((e) => [e.key, e.value.toString()])).toEqual([['a', '3']]);
  });

  it('skips records without a key', async () => {
    await db.apply(
      [
        { key: null, value: Buffer.from('x') },
        { key: Buffer.alloc(0), value: Buffer.from('y') },
      ],
      {
        now: 1,
      },
    );
    expect(db.size()).toBe(0);
  });

  it('keeps the checkpoint monotonic and durable across a reopen', async () => {
    expect(db.checkpoint()).toBeUndefined();
    await db.apply([put('a', '1')], { checkpoint: 10, now: 100 });
    await db.apply([put('b', '2')], { checkpoint: 7, now: 200 });
    await db.apply([put('c', '3')], { now: 300 });
    expect(db.checkpoint()).toBe(10);
    await db.close();

    db = openPartitionDb({ path, topic: 'changelog', partition: 3 });
    expect(db.checkpoint()).toBe(10);
    expect(db.writtenAt()).toBe(300);
    expect(db.size()).toBe(3);
  });

  it('refuses a DB made for another topic or partition', async () => {
    await db.apply([put('a', '1')], { checkpoint: 1, now: 1 });
    await db.close();
    expect(() => openPartitionDb({ path, topic: 'changelog', partition: 4 })).toThrow(/expected/);
    expect(() => openPartitionDb({ path, topic: 'other', partition: 3 })).toThrow(/expected/);
    db = openPartitionDb({ path, topic: 'changelog', partition: 3 });
  });

  it('rejects an oversized key before writing any record of the batch', async () => {
    const huge = put('x'.repeat(MAX_ENTRY_KEY_BYTES + 1), 'v');
    await expect(db.apply([put('a', '1'), huge], { checkpoint: 5, now: 1 })).rejects.toThrow(
      /limit/,
    );
    expect(db.has(k('a'))).toBe(false);
  });

  describe('expiry', () => {
    it('lists entries whose expiry passed, oldest first, up to the limit', async () => {
      await db.apply(
        [put('late', 'v', 300), put('early', 'v', 100), put('mid', 'v', 200), put('never', 'v')],
        {
          now: 1,
        },
      );
      expect(db.expired(250, 10)).toEqual([
        { key: 'early', expiresAt: 100 },
        { key: 'mid', expiresAt: 200 },
      ]);
      expect(db.expired(1000, 2).map((e) => e.key)).toEqual(['early', 'mid']);
      expect(db.expired(99, 10)).toEqual([]);
      expect(db.expired(1000, 0)).toEqual([]);
    });

    it('includes an entry expiring exactly now', async () => {
      await db.apply([put('a', 'v', 500)], { now: 1 });
      expect(db.expired(500, 10)).toEqual([{ key: 'a', expiresAt: 500 }]);
    });

    it('forgets the old expiry of an overwritten entry and the expiry of a deleted one', async () => {
      await db.apply([put('moved', 'v1', 100), put('deleted', 'v', 150), put('kept', 'v', 200)], {
        now: 1,
      });
      await db.apply([put('moved', 'v2', 900), tombstone('deleted')], { now: 2 });
      expect(db.expired(500, 10)).toEqual([{ key: 'kept', expiresAt: 200 }]);
      // Scanning removed the stale index entries; the answers stay the same afterwards.
      await db.apply([], { now: 3 });
      expect(db.expired(500, 10)).toEqual([{ key: 'kept', expiresAt: 200 }]);
      expect(db.expired(1000, 10).map((e) => e.key)).toEqual(['kept', 'moved']);
    });

    it('keeps an entry re-put with its old expiry after a tombstone', async () => {
      await db.apply([put('a', 'v1', 100)], { now: 1 });
      await db.apply([tombstone('a')], { now: 2 });
      await db.apply([put('a', 'v2', 100)], { now: 3 });
      expect(db.expired(100, 10)).toEqual([{ key: 'a', expiresAt: 100 }]);
      await db.apply([], { now: 4 });
      expect(db.expired(100, 10)).toEqual([{ key: 'a', expiresAt: 100 }]);
    });

    it('drops the expiry when an entry is overwritten without one', async () => {
      await db.apply([put('a', 'v1', 100)], { now: 1 });
      await db.apply([put('a', 'v2')], { now: 2 });
      expect(db.expired(1000, 10)).toEqual([]);
      expect([...db.entries()][0]?.expiresAt).toBeUndefined();
    });
  });

  it('serves the same data after a bulk-mode session', async () => {
    await db.close();
    db = openPartitionDb({ path, topic: 'changelog', partition: 3, bulk: true });
    expect(db.bulk).toBe(true);
    await db.apply([put('a', '1', 100), put('b', '2')], { checkpoint: 2, now: 1 });
    await db.close();
    db = openPartitionDb({ path, topic: 'changelog', partition: 3 });
    expect(db.bulk).toBe(false);
    expect(db.value(k('a'))?.toString()).toBe('1');
    expect(db.expired(100, 10)).toEqual([{ key: 'a', expiresAt: 100 }]);
    expect(db.checkpoint()).toBe(2);
  });
});
