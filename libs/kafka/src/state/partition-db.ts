import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { IHeaders } from 'kafkajs';
import { open, type Database, type RootDatabase } from 'lmdb';
import {
  encodeEntry,
  entryExpiresAt,
  entryValue,
  expiryIndexBound,
  expiryIndexKey,
  parseExpiryIndexKey,
  readExpiresAt,
} from './codec.ts';
import { StateStoreError } from './errors.ts';

/** A changelog record as the local DB sees it (a kafkajs message is one). */
export interface ChangelogRecord {
  readonly key: Buffer | null;
  /** `null` is a tombstone: the key is deleted. */
  readonly value: Buffer | null;
  readonly headers?: IHeaders | undefined;
}

export interface ExpiredKey {
  readonly key: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/**
 * The local DB of one changelog partition: a cache of the partition's compacted state plus the
 * checkpoint saying how much of the changelog it reflects. Never the truth: the changelog is.
 */
export interface PartitionDb {
  readonly path: string;
  readonly bulk: boolean;
  /** The next changelog offset not yet applied here; undefined for a new DB. */
  checkpoint(): number | undefined;
  /** When this DB was last written (epoch ms); undefined for a new DB. */
  writtenAt(): number | undefined;
  /** The value bytes stored for `key` (as on the changelog), or undefined. */
  value(key: Buffer): Buffer | undefined;
  has(key: Buffer): boolean;
  /** Keys whose expiry is at or before `now`, oldest first, at most `limit`. Reads the index only. */
  expired(now: number, limit: number): ExpiredKey[];
  /** Every entry, in key byte order (lazy: for tests, tools and debugging). */
  entries(): Iterable<{ key: string; value: Buffer; expiresAt: number | undefined }>;
  /** Number of entries. */
  size(): number;
  /**
   * Applies changelog records in order, in one local transaction, and moves the checkpoint to
   * `checkpoint` if given and ahead of the current one. Resolves once committed (visible to reads).
   */
  apply(
    records: readonly ChangelogRecord[],
    options: { checkpoint?: number | undefined; now: number },
  ): Promise<void>;
  close(): Promise<void>;
}

export interface OpenPartitionDbOptions {
  path: string;
  /**
   * Bulk mode, for a restore that writes many records: commits are not synced and pages are
   * written straight into the memory map (LMDB's MDB_NOSYNC + MDB_WRITEMAP). Several times faster
   * for random keys, but only crash-safe as long as the OS does not crash: callers guard it with
   * the bulk marker (bulk-marker.ts) and sync the file before serving from it.
   */
  bulk?: boolean;
  /** Identity recorded in a new DB and checked on reopen: a DB never serves another partition. */
  topic: string;
  partition: number;
}

/** Bumped when the local layout changes: an older DB is then rebuilt from the changelog. */
const FORMAT = 1;
const EMPTY = Buffer.alloc(0);
/** LMDB's key size limit as built into lmdb-js (bytes). */
const LMDB_MAX_KEY_BYTES = 1978;
/** Longest entry key: its expiry index key adds 8 bytes. */
export const MAX_ENTRY_KEY_BYTES = LMDB_MAX_KEY_BYTES - 8;

/**
 * Opens (creating if needed) the LMDB environment of one partition. LMDB maps the file into
 * memory, so the process holds only the pages in use and the OS page cache bounds the rest,
 * however many keys there are; reads are synchronous. Throws if the DB cannot be opened or was
 * made for another topic, partition or format: the caller then deletes it and restores in full.
 */
export function openPartitionDb({
  path,
  topic,
  partition,
  bulk = false,
}: OpenPartitionDbOptions): PartitionDb {
  mkdirSync(path, { recursive: true });
  checkDataFile(path);
  // noSubdir: false because `path` is a directory even when a parent name contains a dot.
  const env = open({
    path,
    noSubdir: false,
    maxDbs: 4,
    compression: false,
    ...(bulk ? { noSync: true, useWritemap: true } : {}),
  });
  try {
    const entries = env.openDB<Buffer, Buffer>({
      name: 'entries',
      encoding: 'binary',
      keyEncoding: 'binary',
    });
    const expiry = env.openDB<Buffer, Buffer>({
      name: 'expiry',
      encoding: 'binary',
      keyEncoding: 'binary',
    });
    const meta = env.openDB<unknown, string>({ name: 'meta' });
    const identity = { format: FORMAT, topic, partition };
    const found = meta.get('identity') as typeof identity | undefined;
    if (found === undefined) {
      meta.putSync('identity', identity);
    } else if (found.format !== FORMAT || found.topic !== topic || found.partition !== partition) {
      throw new StateStoreError(
        `local DB at ${path} is ${JSON.stringify(found)}, expected ${JSON.stringify(identity)}`,
      );
    }
    return createPartitionDb({ path, bulk, env, entries, expiry, meta });
  } catch (error) {
    void env.close();
    throw error;
  }
}

/** LMDB's meta page magic (lmdb-js layout: at byte 24 of the first page, little-endian). */
const LMDB_MAGIC = 0xbeefc0de;
const META_PAGES_MIN_BYTES = 2 * 4096;

/**
 * LMDB maps the file and trusts it: opening a truncated or foreign file can crash the process
 * (SIGSEGV/SIGBUS) instead of throwing. Checks the part LMDB reads first, so such a file is
 * rebuilt rather than opened. Damage deeper in a file that was synced is not expected (LMDB
 * never overwrites live pages); unsynced bulk writes are guarded by the bulk marker.
 */
function checkDataFile(dir: string): void {
  const file = join(dir, 'data.mdb');
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return; // a new DB
  }
  const header = Buffer.alloc(32);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (size < META_PAGES_MIN_BYTES || header.readUInt32LE(24) !== LMDB_MAGIC) {
    throw new StateStoreError(`${file} is not an LMDB data file (${size} bytes)`);
  }
}

interface Dbs {
  path: string;
  bulk: boolean;
  env: RootDatabase;
  entries: Database<Buffer, Buffer>;
  expiry: Database<Buffer, Buffer>;
  meta: Database<unknown, string>;
}

/*
 * Layout, in one LMDB environment (one file, so one transaction covers all three):
 *   entries  key bytes → 8-byte expiry (0 = none) + value bytes as on the changelog
 *   expiry   8-byte expiry + key bytes → empty: the expiry index, in time order
 *   meta     identity, checkpoint (next changelog offset applied), writtenAt (epoch ms)
 *
 * Writes are blind (no read before write), so a batch is queued to lmdb-js' write thread and the
 * B-tree work runs off the main thread, which restore needs to keep up with kafkajs. The price: a
 * deleted or re-expired key leaves its old index entry behind. `expired()` checks each index entry
 * against the entry it points to, skips such orphans and removes them.
 */
function createPartitionDb({ path, bulk, env, entries, expiry, meta }: Dbs): PartitionDb {
  const numberAt = (name: string): number | undefined => {
    const value = meta.get(name);
    return typeof value === 'number' ? value : undefined;
  };
  // Kept in memory so pipelined batches (queued, not yet committed) stay monotonic.
  let checkpoint = numberAt('checkpoint');
  let writtenAt = numberAt('writtenAt');

  const isLive = (indexKey: Buffer): boolean => {
    const { expiresAt, key } = parseExpiryIndexKey(indexKey);
    const entry = entries.getBinaryFast(key);
    return entry !== undefined && entryExpiresAt(entry) === expiresAt;
  };

  const removeOrphans = (orphans: Buffer[]): void => {
    // In a write transaction, after every write queued so far: checked again there, so an entry
    // re-put with the same expiry in the meantime keeps its index entry.
    env
      .transaction(() => {
        for (const indexKey of orphans) if (!isLive(indexKey)) expiry.removeSync(indexKey);
      })
      .catch(() => undefined); // garbage collection only: the next scan retries
  };

  return {
    path,
    bulk,
    checkpoint: () => checkpoint,
    writtenAt: () => writtenAt,
    value(key) {
      const entry = entries.getBinary(key);
      return entry === undefined ? undefined : entryValue(entry);
    },
    has: (key) => entries.doesExist(key),
    expired(now, limit) {
      const found: ExpiredKey[] = [];
      if (limit <= 0) return found;
      const orphans: Buffer[] = [];
      const range = expiry.getKeys({
        start: expiryIndexBound(0),
        end: expiryIndexBound(Math.floor(now) + 1),
      });
      for (const indexKey of range) {
        if (isLive(indexKey)) {
          const { expiresAt, key } = parseExpiryIndexKey(indexKey);
          found.push({ key: key.toString('utf8'), expiresAt });
          if (found.length >= limit) break;
        } else {
          orphans.push(Buffer.from(indexKey));
        }
      }
      if (orphans.length > 0) removeOrphans(orphans);
      return found;
    },
    *entries() {
      for (const { key, value } of entries.getRange({})) {
        yield {
          key: key.toString('utf8'),
          value: entryValue(value),
          expiresAt: entryExpiresAt(value),
        };
      }
    },
    size: () => entries.getCount(),
    apply(records, options) {
      // Validate first: lmdb-js queues each write as it is called, so a throw half-way through
      // would commit half a batch.
      for (const record of records) {
        if (record.key !== null && record.key.length > MAX_ENTRY_KEY_BYTES) {
          return Promise.reject(
            new StateStoreError(
              `changelog key of ${record.key.length} bytes exceeds the local DB's limit of ${MAX_ENTRY_KEY_BYTES}`,
            ),
          );
        }
      }
      const next = options.checkpoint;
      const moves = next !== undefined && (checkpoint === undefined || next > checkpoint);
      if (moves) checkpoint = next;
      writtenAt = options.now;
      return env
        .batch(() => {
          for (const record of records) {
            const key = record.key;
            // Kafka rejects null keys on compacted topics; an empty key is no state entry either.
            if (key === null || key.length === 0) continue;
            if (record.value === null) {
              void entries.remove(key);
              continue;
            }
            const expiresAt = readExpiresAt(record.headers);
            void entries.put(key, encodeEntry(record.value, expiresAt));
            if (expiresAt !== undefined) void expiry.put(expiryIndexKey(expiresAt, key), EMPTY);
          }
          if (moves) void meta.put('checkpoint', next);
          void meta.put('writtenAt', options.now);
        })
        .then(() => undefined);
    },
    close: () => env.close(),
  };
}
