import { mkdirSync } from 'node:fs';
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
  /** Identity recorded in a new DB and checked on reopen: a DB never serves another partition. */
  topic: string;
  partition: number;
}

/** Bumped when the local layout changes: an older DB is then rebuilt from the changelog. */
const FORMAT = 1;
const EMPTY = Buffer.alloc(0);

/**
 * Opens (creating if needed) the LMDB environment of one partition. LMDB maps the file into
 * memory, so the process holds only the pages in use and the OS page cache bounds the rest,
 * however many keys there are; reads are synchronous. Throws if the DB cannot be opened or was
 * made for another topic, partition or format: the caller then deletes it and restores in full.
 */
export function openPartitionDb({ path, topic, partition }: OpenPartitionDbOptions): PartitionDb {
  mkdirSync(path, { recursive: true });
  // noSubdir: false because `path` is a directory even when a parent name contains a dot.
  const env = open({ path, noSubdir: false, maxDbs: 4, compression: false });
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
    return createPartitionDb({ path, env, entries, expiry, meta });
  } catch (error) {
    void env.close();
    throw error;
  }
}

interface Dbs {
  path: string;
  env: RootDatabase;
  entries: Database<Buffer, Buffer>;
  expiry: Database<Buffer, Buffer>;
  meta: Database<unknown, string>;
}

function createPartitionDb({ path, env, entries, expiry, meta }: Dbs): PartitionDb {
  const numberAt = (name: string): number | undefined => {
    const value = meta.get(name);
    return typeof value === 'number' ? value : undefined;
  };

  // Runs inside a write transaction: reads see the transaction's own earlier writes, so two
  // records of one batch for the same key keep the expiry index exact.
  const applyRecord = (record: ChangelogRecord): void => {
    const key = record.key;
    // Kafka rejects null keys on compacted topics; an empty key is not a state entry either.
    if (key === null || key.length === 0) return;
    const old = entries.getBinaryFast(key);
    const oldExpiry = old === undefined ? undefined : entryExpiresAt(old);
    if (oldExpiry !== undefined) expiry.removeSync(expiryIndexKey(oldExpiry, key));
    if (record.value === null) {
      if (old !== undefined) entries.removeSync(key);
      return;
    }
    const expiresAt = readExpiresAt(record.headers);
    entries.putSync(key, encodeEntry(record.value, expiresAt));
    if (expiresAt !== undefined) expiry.putSync(expiryIndexKey(expiresAt, key), EMPTY);
  };

  return {
    path,
    checkpoint: () => numberAt('checkpoint'),
    writtenAt: () => numberAt('writtenAt'),
    value(key) {
      const entry = entries.getBinary(key);
      return entry === undefined ? undefined : entryValue(entry);
    },
    has: (key) => entries.doesExist(key),
    expired(now, limit) {
      const found: ExpiredKey[] = [];
      if (limit <= 0) return found;
      const keys = expiry.getKeys({
        start: expiryIndexBound(0),
        end: expiryIndexBound(Math.floor(now) + 1),
        limit,
      });
      for (const indexKey of keys) {
        const { expiresAt, key } = parseExpiryIndexKey(indexKey);
        found.push({ key: key.toString('utf8'), expiresAt });
      }
      return found;
    },
    *entries() {
      for (const { key, value } of entries.getRange({})) {
        yield { key: key.toString('utf8'), value: entryValue(value), expiresAt: entryExpiresAt(value) };
      }
    },
    size: () => entries.getCount(),
    async apply(records, { checkpoint, now }) {
      await env.transaction(() => {
        for (const record of records) applyRecord(record);
        const current = numberAt('checkpoint');
        if (checkpoint !== undefined && (current === undefined || checkpoint > current)) {
          meta.putSync('checkpoint', checkpoint);
        }
        meta.putSync('writtenAt', now);
      });
    },
    close: () => env.close(),
  };
}
