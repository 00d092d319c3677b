import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { finishBulk, readBulkMarker, writeBulkMarker } from './bulk-marker.ts';
import { createKafkaChangelogReader } from './changelog-reader.ts';
import { EXPIRES_AT_HEADER, isValidExpiresAt, jsonCodec } from './codec.ts';
import { STATE_STORE_DEFAULTS } from './defaults.ts';
import { StateStoreError } from './errors.ts';
import { openPartitionDb, type PartitionDb } from './partition-db.ts';
import { planRestore, replayChangelog } from './restore.ts';
import type {
  ChangelogMessage,
  RestoreStats,
  StateStore,
  StateStoreLogger,
  StateStoreOptions,
} from './types.ts';

export type * from './types.ts';
export type { ValueCodec } from './codec.ts';
export type {
  ChangelogBatch,
  ChangelogReader,
  ChangelogReadRequest,
  PartitionOffsets,
} from './changelog-reader.ts';
export { EXPIRES_AT_HEADER, jsonCodec } from './codec.ts';
export { STATE_STORE_DEFAULTS } from './defaults.ts';
export { StateRestoreError, StateStoreError } from './errors.ts';

const NAME_PATTERN = /^[a-zA-Z0-9_-][a-zA-Z0-9._-]*$/;
const silent: StateStoreLogger = { info: () => undefined, warn: () => undefined };

interface Slot {
  db: PartitionDb;
  ready: boolean;
}

/**
 * Creates a changelog-backed state store: one local LMDB database per changelog partition under
 * `<dir>/<name>/<partition>/`, restored from the compacted changelog topic and written only
 * through it (see StateStore for the consistency rules).
 */
export function createStateStore<V>(options: StateStoreOptions<V>): StateStore<V> {
  const { kafka, changelogTopic, dir, name } = options;
  if (typeof changelogTopic !== 'string' || changelogTopic.length === 0) {
    throw new StateStoreError('state store: changelogTopic is required');
  }
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new StateStoreError('state store: dir is required');
  }
  if (!NAME_PATTERN.test(name) || name === '..') {
    throw new StateStoreError(`state store: invalid name "${name}" (letters, digits, . _ -)`);
  }
  const positive = (
    field: keyof typeof STATE_STORE_DEFAULTS,
    given: number | undefined,
  ): number => {
    const value = given ?? STATE_STORE_DEFAULTS[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new StateStoreError(
        `state store: ${field} must be a positive number, got ${String(value)}`,
      );
    }
    return value;
  };
  const maxLocalStaleMs = positive('maxLocalStaleMs', options.maxLocalStaleMs);
  const bulkRestoreMinOffsets = positive('bulkRestoreMinOffsets', options.bulkRestoreMinOffsets);
  const maxKeyBytes = STATE_STORE_DEFAULTS.maxKeyBytes;
  const codec = options.codec ?? jsonCodec<V>();
  const clock = options.clock ?? Date.now;
  const logger = options.logger ?? silent;
  const reader =
    options.reader ??
    createKafkaChangelogReader({
      kafka,
      topic: changelogTopic,
      groupIdPrefix: `state-restore.${name}`,
      stallTimeoutMs: positive('restoreStallTimeoutMs', options.restoreStallTimeoutMs),
      maxBytesPerPartition: positive(
        'restoreMaxBytesPerPartition',
        options.restoreMaxBytesPerPartition,
      ),
      maxWaitTimeMs: positive('restoreMaxWaitTimeMs', options.restoreMaxWaitTimeMs),
    });

  const root = join(dir, name);
  const pathOf = (partition: number) => join(root, String(partition));
  const slots = new Map<number, Slot>();
  const restores = new Map<number, { promise: Promise<RestoreStats>; abort: AbortController }>();

  const checkPartition = (partition: number) => {
    if (!Number.isInteger(partition) || partition < 0) {
      throw new StateStoreError(`state store ${name}: invalid partition ${partition}`);
    }
  };
  const readyDb = (partition: number): PartitionDb => {
    const slot = slots.get(partition);
    if (!slot?.ready) {
      throw new StateStoreError(`state store ${name}: partition ${partition} is not restored`);
    }
    return slot.db;
  };
  const keyBytes = (key: string): Buffer => {
    const bytes = Buffer.from(key, 'utf8');
    if (bytes.length === 0 || bytes.length > maxKeyBytes) {
      throw new StateStoreError(
        `state store ${name}: keys must be 1..${maxKeyBytes} UTF-8 bytes, got ${bytes.length}`,
      );
    }
    return bytes;
  };
  const open = (partition: number, bulk: boolean): PartitionDb =>
    openPartitionDb({ path: pathOf(partition), topic: changelogTopic, partition, bulk });
  const wipe = async (partition: number): Promise<void> => {
    await rm(pathOf(partition), { recursive: true, force: true });
  };
  /** Opens what is on disk, deleting it first when it cannot be trusted. */
  const openExisting = async (partition: number): Promise<PartitionDb> => {
    const marker = readBulkMarker(pathOf(partition));
    if (marker === 'other-boot') {
      // A bulk restore was cut short by an OS crash: unsynced pages may be missing.
      logger.warn(
        { store: name, partition },
        'local state DB was being bulk-restored when the machine went down, rebuilding it',
      );
      await wipe(partition);
    }
    try {
      return open(partition, marker === 'same-boot');
    } catch (error) {
      // Corrupt, another format, another topic: the changelog has it all, start over.
      logger.warn(
        { store: name, partition, path: pathOf(partition), error: String(error) },
        'local state DB unusable, rebuilding it from the changelog',
      );
      await wipe(partition);
      return open(partition, false);
    }
  };

  const runRestore = async (partition: number, signal: AbortSignal): Promise<RestoreStats> => {
    const started = performance.now();
    let slot = slots.get(partition);
    if (slot) {
      slot.ready = false;
    } else {
      slot = { db: await openExisting(partition), ready: false };
      slots.set(partition, slot);
    }
    const { low, end } = await reader.offsets(partition);
    signal.throwIfAborted();
    const plan = planRestore({
      checkpoint: slot.db.checkpoint(),
      writtenAt: slot.db.writtenAt(),
      low,
      end,
      now: clock(),
      maxLocalStaleMs,
    });
    // A DB left in bulk mode by a crashed restore finishes in bulk mode (and gets its sync).
    const bulk = slot.db.bulk || end - plan.from >= bulkRestoreMinOffsets;
    if (plan.rebuild || bulk !== slot.db.bulk) {
      if (plan.rebuild && (slot.db.checkpoint() !== undefined || slot.db.size() > 0)) {
        logger.warn(
          { store: name, partition, reason: plan.reason },
          'discarding the local state DB, restoring from the log start',
        );
      }
      await slot.db.close();
      if (plan.rebuild) await wipe(partition);
      if (bulk) writeBulkMarker(pathOf(partition));
      slot.db = open(partition, bulk);
    }
    const records = await replayChangelog({
      db: slot.db,
      reader,
      partition,
      from: plan.from,
      to: end,
      clock,
      signal,
    });
    if (bulk) {
      await slot.db.close();
      finishBulk(pathOf(partition));
      slot.db = open(partition, false);
    }
    slot.ready = true;
    const stats: RestoreStats = {
      partition,
      records,
      durationMs: Math.round(performance.now() - started),
      fromOffset: plan.from,
      toOffset: end,
      rebuilt: plan.rebuild,
      bulk,
      ...(plan.rebuild ? { reason: plan.reason } : {}),
    };
    logger.info({ store: name, ...stats }, 'state partition restored');
    return stats;
  };

  const discard = async (partition: number): Promise<void> => {
    const slot = slots.get(partition);
    slots.delete(partition);
    await slot?.db.close().catch(() => undefined);
  };

  const close = async (partition: number): Promise<void> => {
    const running = restores.get(partition);
    if (running) {
      running.abort.abort(new Error('partition closed'));
      await running.promise.catch(() => undefined);
    }
    await discard(partition);
  };

  return {
    name,
    changelogTopic,
    restore(partition) {
      checkPartition(partition);
      const running = restores.get(partition);
      if (running) return running.promise;
      const abort = new AbortController();
      const promise = runRestore(partition, abort.signal)
        .catch(async (error: unknown) => {
          // The DB keeps what it committed; reopen it from disk on the next restore.
          await discard(partition);
          throw error;
        })
        .finally(() => restores.delete(partition));
      restores.set(partition, { promise, abort });
      return promise;
    },
    isReady: (partition) => slots.get(partition)?.ready === true,
    get(partition, key) {
      const bytes = readyDb(partition).value(keyBytes(key));
      return bytes === undefined ? undefined : codec.decode(bytes);
    },
    has: (partition, key) => readyDb(partition).has(keyBytes(key)),
    stage(partition, key, value, stageOptions = {}): ChangelogMessage {
      checkPartition(partition);
      const { expiresAt } = stageOptions;
      if (expiresAt !== undefined && !isValidExpiresAt(expiresAt)) {
        throw new StateStoreError(`state store ${name}: invalid expiresAt ${expiresAt} (epoch ms)`);
      }
      return {
        key: keyBytes(key),
        value: value === null ? null : codec.encode(value),
        partition,
        headers:
          expiresAt === undefined || value === null
            ? {}
            : { [EXPIRES_AT_HEADER]: String(expiresAt) },
      };
    },
    async apply(partition, messages, changelogNextOffset) {
      const db = readyDb(partition);
      if (
        changelogNextOffset !== undefined &&
        (!Number.isSafeInteger(changelogNextOffset) || changelogNextOffset < 0)
      ) {
        throw new StateStoreError(
          `state store ${name}: invalid changelog offset ${changelogNextOffset}`,
        );
      }
      const foreign = messages.find((m) => m.partition !== partition);
      if (foreign) {
        throw new StateStoreError(
          `state store ${name}: a record staged for partition ${foreign.partition} applied to ${partition}`,
        );
      }
      try {
        await db.apply(messages, { checkpoint: changelogNextOffset, now: clock() });
      } catch (error) {
        // The local DB may now differ from what it was told; only a restore can vouch for it.
        await discard(partition);
        throw error;
      }
    },
    expired(partition, now, limit) {
      if (!Number.isInteger(limit) || limit < 0) {
        throw new StateStoreError(`state store ${name}: invalid limit ${limit}`);
      }
      return readyDb(partition).expired(now, limit);
    },
    *entries(partition) {
      for (const entry of readyDb(partition).entries()) {
        yield { key: entry.key, value: codec.decode(entry.value), expiresAt: entry.expiresAt };
      }
    },
    size: (partition) => readyDb(partition).size(),
    close,
    async drop(partition) {
      checkPartition(partition);
      await close(partition);
      await rm(pathOf(partition), { recursive: true, force: true });
    },
    async closeAll() {
      const partitions = new Set([...slots.keys(), ...restores.keys()]);
      await Promise.all([...partitions].map((partition) => close(partition)));
      await reader.close();
    },
  };
}
