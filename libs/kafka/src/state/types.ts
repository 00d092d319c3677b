import type { Kafka } from 'kafkajs';
import type { ChangelogReader } from './changelog-reader.ts';
import type { ValueCodec } from './codec.ts';

/** Minimal logger (a pino logger fits). */
export interface StateStoreLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface StateStoreOptions<V> {
  kafka: Kafka;
  /** Compacted topic co-partitioned with the input: input partition N ↔ changelog partition N. */
  changelogTopic: string;
  /** Root of the local DBs; this store uses `<dir>/<name>/<partition>/`. */
  dir: string;
  /** Store name (a folder name; also in the restore consumers' group ids). */
  name: string;
  logger?: StateStoreLogger;
  /** Value ↔ bytes. Default: UTF-8 JSON. */
  codec?: ValueCodec<V>;
  /** Epoch ms clock, injectable for tests. Default `Date.now`. */
  clock?: () => number;
  /** See STATE_STORE_DEFAULTS. */
  maxLocalStaleMs?: number;
  restoreStallTimeoutMs?: number;
  restoreMaxBytesPerPartition?: number;
  restoreMaxWaitTimeMs?: number;
  bulkRestoreMinOffsets?: number;
  /** Replaces the kafkajs reader (unit tests). */
  reader?: ChangelogReader;
}

export interface RestoreStats {
  partition: number;
  /** Changelog records applied (puts and tombstones). */
  records: number;
  durationMs: number;
  /** First changelog offset read. */
  fromOffset: number;
  /** Offset the local DB is now complete up to (the changelog's last stable offset at start). */
  toOffset: number;
  /** True when the local DB was discarded and rebuilt from the log start. */
  rebuilt: boolean;
  /** Why it was rebuilt. */
  reason?: string;
  /** True when it ran in bulk mode (unsynced writes, one sync at the end). */
  bulk: boolean;
}

/**
 * A record to produce to the changelog topic in the caller's transaction, shaped as a kafkajs
 * message: `transaction.send({ topic: store.changelogTopic, messages: [staged] })`.
 */
export interface ChangelogMessage {
  readonly key: Buffer;
  /** `null` is a tombstone. */
  readonly value: Buffer | null;
  readonly partition: number;
  readonly headers: Readonly<Record<string, string>>;
}

export interface StageOptions {
  /** Epoch ms after which `expired()` lists the entry. */
  expiresAt?: number;
}

export interface StoredEntry<V> {
  key: string;
  value: V;
  expiresAt: number | undefined;
}

/**
 * Per-partition state backed by a compacted changelog topic.
 *
 * Consistency: the changelog is the truth; each partition's local DB is a cache of it plus a
 * checkpoint (the next changelog offset it reflects). Writes never go to the local DB first: the
 * caller stages changelog records, produces them in the same Kafka transaction as its output and
 * input offsets, and applies them locally only after that transaction committed. A crash between
 * produce and commit aborts the transaction; the local DB never saw it, and the next restore
 * reads committed records only. A crash after commit but before `apply` leaves the DB behind,
 * never ahead, and the restore catches it up.
 */
export interface StateStore<V> {
  readonly name: string;
  readonly changelogTopic: string;
  /**
   * Brings the partition's local DB up to the changelog's last stable offset observed at the
   * start, replaying only the tail after its checkpoint when the DB is intact. Processing of the
   * input partition must wait for it. Concurrent calls for one partition share one restore.
   */
  restore(partition: number): Promise<RestoreStats>;
  /** True once `restore(partition)` completed and until the partition is closed. */
  isReady(partition: number): boolean;
  get(partition: number, key: string): V | undefined;
  has(partition: number, key: string): boolean;
  /** Builds the changelog record for a write (`null` deletes); does not touch the local DB. */
  stage(partition: number, key: string, value: V | null, options?: StageOptions): ChangelogMessage;
  /**
   * Applies staged records to the local DB, in order, after their transaction committed. Pass
   * `changelogNextOffset` (last produced changelog offset of this partition + 1, from the produce
   * response) only when every committed changelog record of the partition below it has been
   * applied, so the checkpoint follows and a restart replays only what came after. Without it the
   * checkpoint stays put; a later restore re-reads from there, which is correct, only longer.
   */
  apply(
    partition: number,
    messages: readonly ChangelogMessage[],
    changelogNextOffset?: number,
  ): Promise<void>;
  /** Entries whose expiry is at or before `now`, oldest first, at most `limit`; index-only. */
  expired(partition: number, now: number, limit: number): { key: string; expiresAt: number }[];
  /** Every entry of a partition, lazily, in key byte order (tests, tools). */
  entries(partition: number): Iterable<StoredEntry<V>>;
  size(partition: number): number;
  /** Closes a partition's DB and keeps its files: a later restore replays only the tail. */
  close(partition: number): Promise<void>;
  /** Closes a partition's DB and deletes its files (the next restore is a full one). */
  drop(partition: number): Promise<void>;
  /** Closes every partition and the store's Kafka clients. */
  closeAll(): Promise<void>;
}
