import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { StateRestoreError, StateStoreError } from './errors.ts';
import type { ChangelogRecord } from './partition-db.ts';
import { singlePartitionAssigner } from './restore-assigner.ts';

export interface ChangelogBatch {
  /** Committed records in offset order, every one at or after the previous batch's `nextOffset`. */
  readonly records: readonly ChangelogRecord[];
  /** Every changelog offset below this has now been read. */
  readonly nextOffset: number;
}

export interface ChangelogReadRequest {
  partition: number;
  /** First offset to read. */
  fromOffset: number;
  /** Stop once every offset below this has been read. */
  toOffset: number;
  /** Called in order, one batch at a time; the next batch waits for the returned promise. */
  onBatch(batch: ChangelogBatch): Promise<void>;
  signal?: AbortSignal | undefined;
}

export interface PartitionOffsets {
  /** Log start offset. */
  low: number;
  /** Last stable offset: the end of what a read-committed reader can see now. */
  end: number;
}

/** Reads one changelog partition. The store's only port to Kafka, so unit tests can fake it. */
export interface ChangelogReader {
  readonly topic: string;
  offsets(partition: number): Promise<PartitionOffsets>;
  /** Reads [fromOffset, toOffset) of a partition, committed records only. */
  read(request: ChangelogReadRequest): Promise<void>;
  close(): Promise<void>;
}

/** How long offsets() retries an incomplete answer before trusting it. 3 seconds. */
const OFFSETS_SETTLE_MS = 3_000;

export interface KafkaChangelogReaderOptions {
  kafka: Kafka;
  topic: string;
  /** Prefix of the throwaway consumer group of each read. */
  groupIdPrefix: string;
  /** Fail a read that makes no progress for this long (ms). */
  stallTimeoutMs: number;
  /** Bytes per fetch (bytes). */
  maxBytesPerPartition: number;
  /** Broker-side wait of an empty fetch (ms). */
  maxWaitTimeMs: number;
}

/**
 * Reads a changelog partition with a kafkajs consumer that commits nothing.
 *
 * kafkajs has no `assign()`, so each read joins a consumer group of its own (a random id: no
 * other member, no committed offsets, removed by the broker once empty) whose assigner hands it
 * exactly the partition asked for, and seeks there as soon as the group is joined, before the
 * first fetch. `readUncommitted: false`: records of aborted or still-open transactions are never
 * seen, so a produce whose transaction never committed never reaches the local DB.
 *
 * Progress is tracked by offset, not by record count: a fetch that returns only filtered records
 * (aborted data, transaction markers) still moves the position, and a compaction gap is simply
 * skipped. Records below the position (an in-flight fetch from before the seek) are ignored, so
 * each offset is applied at most once.
 */
export function createKafkaChangelogReader(options: KafkaChangelogReaderOptions): ChangelogReader {
  const { kafka, topic } = options;
  let adminReady: Promise<Admin> | undefined;

  const admin = (): Promise<Admin> => {
    adminReady ??= (async () => {
      const client = kafka.admin();
      await client.connect();
      return client;
    })().catch((error: unknown) => {
      adminReady = undefined;
      throw error;
    });
    return adminReady;
  };

  const resetAdmin = async (attempt: number): Promise<void> => {
    const pending = adminReady;
    adminReady = undefined;
    await (await pending?.catch(() => undefined))?.disconnect();
    await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** attempt, 500)));
  };

  return {
    topic,
    async offsets(partition) {
      // Right after a topic is created (or grows) a broker can answer from metadata that lacks
      // partitions or leaders for a moment, and kafkajs caches it: retry briefly with a fresh
      // admin client before calling a partition missing.
      const deadline = Date.now() + OFFSETS_SETTLE_MS;
      for (let attempt = 0; ; attempt++) {
        let found;
        try {
          found = (await (await admin()).fetchTopicOffsets(topic)).find(
            (p) => p.partition === partition,
          );
        } catch (error) {
          if (Date.now() < deadline) {
            await resetAdmin(attempt);
            continue;
          }
          throw new StateRestoreError(`cannot read the offsets of ${topic}: ${String(error)}`, {
            cause: error,
          });
        }
        // kafkajs lists offsets read-committed: `high` is the last stable offset, so a restore
        // never waits for records of a transaction that is still open.
        const low = Number(found?.low);
        const end = Number(found?.high);
        if (
          found &&
          Number.isSafeInteger(low) &&
          low >= 0 &&
          Number.isSafeInteger(end) &&
          end >= low
        ) {
          return { low, end };
        }
        if (Date.now() < deadline) {
          await resetAdmin(attempt);
          continue;
        }
        if (!found) {
          throw new StateStoreError(
            `changelog ${topic} has no partition ${partition}: it must have as many partitions as the input topic`,
          );
        }
        throw new StateRestoreError(
          `changelog ${topic}/${partition} reported offsets low=${found.low} high=${found.high}`,
        );
      }
    },
    read: (request) => readPartition(options, request),
    async close() {
      const pending = adminReady;
      adminReady = undefined;
      if (pending) await (await pending.catch(() => undefined))?.disconnect();
    },
  };
}

async function readPartition(
  options: KafkaChangelogReaderOptions,
  { partition, fromOffset, toOffset, onBatch, signal }: ChangelogReadRequest,
): Promise<void> {
  const { kafka, topic, stallTimeoutMs } = options;
  if (fromOffset >= toOffset) return;
  signal?.throwIfAborted();

  const consumer = kafka.consumer({
    groupId: `${options.groupIdPrefix}.${partition}.${randomUUID()}`,
    readUncommitted: false,
    partitionAssigners: [singlePartitionAssigner(topic, partition)],
    maxBytesPerPartition: options.maxBytesPerPartition,
    maxBytes: Math.max(options.maxBytesPerPartition, 10 * 1024 * 1024),
    maxWaitTimeInMs: options.maxWaitTimeMs,
    allowAutoTopicCreation: false,
    // A crash ends the read with an error; the caller decides whether to restore again.
    retry: { restartOnFailure: async () => false },
  });

  let position = fromOffset;
  let lastProgressAt = Date.now();
  let finished = false;
  let settle!: { resolve: () => void; reject: (error: unknown) => void };
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // It may settle (abort, crash) while connect() is still pending; it is awaited below.
  done.catch(() => undefined);
  const finish = (error?: unknown) => {
    if (finished) return;
    finished = true;
    if (error === undefined) settle.resolve();
    else settle.reject(error);
  };
  const advance = (next: number) => {
    if (next > position) {
      position = next;
      lastProgressAt = Date.now();
    }
    if (position >= toOffset) finish();
  };

  consumer.on(consumer.events.GROUP_JOIN, () => {
    // Runs inside kafkajs' join, before the fetch loop starts (and again after a rejoin).
    try {
      consumer.seek({ topic, partition, offset: String(position) });
    } catch (error) {
      finish(new StateRestoreError(`cannot seek ${topic}/${partition}`, { cause: error }));
    }
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    // A fetch whose records were all filtered (aborted, transaction markers) never reaches
    // eachBatch but still covers its offsets.
    if (payload.topic !== topic || payload.partition !== partition || payload.batchSize !== 0) {
      return;
    }
    advance(Math.min(Number(payload.lastOffset) + 1, toOffset));
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    finish(
      new StateRestoreError(`restore consumer of ${topic}/${partition} crashed`, {
        cause: payload.error,
      }),
    );
  });
  const onAbort = () =>
    finish(
      new StateRestoreError(`restore of ${topic}/${partition} aborted`, { cause: signal?.reason }),
    );
  signal?.addEventListener('abort', onAbort, { once: true });
  const stallCheck = setInterval(
    () => {
      if (Date.now() - lastProgressAt <= stallTimeoutMs) return;
      finish(
        new StateRestoreError(
          `restore of ${topic}/${partition} made no progress for ${stallTimeoutMs} ms at offset ${position} (target ${toOffset})`,
        ),
      );
    },
    Math.min(1000, Math.max(10, stallTimeoutMs / 4)),
  );
  stallCheck.unref();

  try {
    await consumer.connect();
    // fromBeginning: should kafkajs ever fetch before the seek applies, it then reads from the
    // log start (below our position: ignored), never from the end (which would skip records).
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (finished || batch.topic !== topic || batch.partition !== partition) return;
        const records: ChangelogRecord[] = [];
        for (const message of batch.messages) {
          const offset = Number(message.offset);
          if (offset < position) continue;
          if (offset >= toOffset) break;
          records.push(message);
        }
        const next = Math.min(Number(batch.lastOffset()) + 1, toOffset);
        if (next <= position) return;
        try {
          if (records.length > 0) await onBatch({ records, nextOffset: next });
        } catch (error) {
          // Not rethrown: kafkajs would retry the batch; the store's error ends the read.
          finish(error);
          return;
        }
        advance(next);
      },
    });
    await done;
  } catch (error) {
    if (error instanceof StateRestoreError || error instanceof StateStoreError) throw error;
    if (finished) throw error;
    throw new StateRestoreError(`restore of ${topic}/${partition} failed: ${String(error)}`, {
      cause: error,
    });
  } finally {
    finished = true;
    clearInterval(stallCheck);
    signal?.removeEventListener('abort', onAbort);
    await consumer.disconnect().catch(() => undefined);
  }
}
