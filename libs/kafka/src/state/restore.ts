import type { ChangelogReader } from './changelog-reader.ts';
import type { PartitionDb } from './partition-db.ts';

export interface RestorePlanInput {
  /** The local DB's checkpoint (next offset to apply); undefined for a new DB. */
  checkpoint: number | undefined;
  /** When the local DB was last written (epoch ms). */
  writtenAt: number | undefined;
  /** Changelog log start offset. */
  low: number;
  /** Changelog last stable offset, observed when the restore starts. */
  end: number;
  now: number;
  maxLocalStaleMs: number;
}

export type RestorePlan =
  | { readonly rebuild: false; readonly from: number }
  | { readonly rebuild: true; readonly from: number; readonly reason: string };

/**
 * Decides where a restore starts. The changelog is the truth and the local DB a cache of it with
 * a checkpoint; the cache is trusted only when the changelog can still bring it up to date:
 * - no checkpoint: never fully restored (new, or interrupted before its first checkpoint);
 * - checkpoint below the log start: records it never saw were deleted;
 * - checkpoint beyond the end: the topic was recreated or truncated, the cache describes
 *   another log;
 * - not written for longer than `maxLocalStaleMs`: compaction may have removed tombstones
 *   written since, and a tombstone it never sees leaves a deleted key alive.
 * Otherwise only the tail from the checkpoint is replayed.
 */
export function planRestore(input: RestorePlanInput): RestorePlan {
  const { checkpoint, writtenAt, low, end, now, maxLocalStaleMs } = input;
  const rebuild = (reason: string): RestorePlan => ({ rebuild: true, from: low, reason });
  if (checkpoint === undefined) return rebuild('no checkpoint');
  if (checkpoint < low) return rebuild(`checkpoint ${checkpoint} is below the log start ${low}`);
  if (checkpoint > end) return rebuild(`checkpoint ${checkpoint} is beyond the log end ${end}`);
  if (writtenAt === undefined || now - writtenAt > maxLocalStaleMs) {
    return rebuild(
      `last written ${writtenAt === undefined ? 'never' : `${now - writtenAt} ms ago`}`,
    );
  }
  return { rebuild: false, from: checkpoint };
}

export interface ReplayOptions {
  db: PartitionDb;
  reader: ChangelogReader;
  partition: number;
  from: number;
  to: number;
  clock: () => number;
  signal?: AbortSignal | undefined;
}

/**
 * Applies changelog offsets [from, to) to the local DB, one local transaction per fetched batch,
 * each moving the checkpoint with the data it covers: a crash mid-restore resumes from the last
 * batch applied. Ends by setting the checkpoint to `to` (what follows the last record may be
 * transaction markers or aborted records only). Returns the number of records applied.
 */
export async function replayChangelog(options: ReplayOptions): Promise<number> {
  const { db, reader, partition, from, to, clock, signal } = options;
  let applied = 0;
  // One batch in flight: batch N commits on lmdb-js' write thread while batch N+1 is fetched
  // and decoded. Batches commit in order, each with its own checkpoint.
  let inFlight: Promise<void> = Promise.resolve();
  try {
    await reader.read({
      partition,
      fromOffset: from,
      toOffset: to,
      signal,
      onBatch: async ({ records, nextOffset }) => {
        const previous = inFlight;
        inFlight = db.apply(records, { checkpoint: nextOffset, now: clock() });
        inFlight.catch(() => undefined); // awaited below or by the next batch
        await previous;
        applied += records.length;
      },
    });
  } finally {
    await inFlight.catch(() => undefined);
  }
  await inFlight;
  await db.apply([], { checkpoint: to, now: clock() });
  return applied;
}
