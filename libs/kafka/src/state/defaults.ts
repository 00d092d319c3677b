/**
 * Defaults of the state store. Every field has its unit; tests pass smaller values.
 */
export const STATE_STORE_DEFAULTS = {
  /**
   * A restore that makes no progress for this long fails (retriably) instead of hanging. Progress
   * can only stop below the target offset when the broker is unreachable or a transaction stays
   * open below it; the producer's transaction timeout (kafkajs default 60 s) ends the latter.
   * 2 minutes.
   */
  restoreStallTimeoutMs: 120_000,
  /**
   * Bytes fetched per partition per fetch while restoring; also about the size of one local DB
   * transaction. Larger fetches were not faster in the benchmark and hold more memory. 2 MiB.
   */
  restoreMaxBytesPerPartition: 2 * 1024 * 1024,
  /**
   * How long the broker waits for data on an empty fetch while restoring. Only matters at the
   * very end of a restore. 100 ms.
   */
  restoreMaxWaitTimeMs: 100,
  /**
   * A local DB not written for longer than this is rebuilt from the start of the changelog rather
   * than caught up from its checkpoint: compaction deletes tombstones `delete.retention.ms` after
   * cleaning (Kafka default 1 day), and a tombstone the DB never saw would leave a deleted key
   * alive. Keep it below the changelog topic's `delete.retention.ms`. 12 hours.
   */
  maxLocalStaleMs: 12 * 60 * 60 * 1000,
  /**
   * A restore with at least this many changelog offsets to read runs in bulk mode: unsynced LMDB
   * commits through a writable memory map, one sync at the end, guarded by a marker file (see
   * bulk-marker.ts). Several times faster for random keys; smaller restores keep synced commits.
   * 10,000 offsets.
   */
  bulkRestoreMinOffsets: 10_000,
  /** Longest key accepted, in UTF-8 bytes (LMDB keys are limited to 1978 bytes; the expiry index adds 8). 1 KiB. */
  maxKeyBytes: 1024,
} as const;
