import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { SourceRecord } from './records.ts';

export interface JobLocation {
  partition: number;
  offset: string;
}

/** Reads job records back from pipeline.jobs by their coordinates (the port the owner uses). */
export type JobReader = (locations: readonly JobLocation[]) => Promise<Map<string, SourceRecord>>;

export const locationKey = (partition: number, offset: string | number): string =>
  `${partition}:${offset}`;

export interface KafkaJobReaderOptions {
  kafka: Kafka;
  topic: string;
  groupIdPrefix: string;
  /** Give up a read that makes no progress this long (ms). */
  stallTimeoutMs?: number;
}

/**
 * Reads chosen offsets of pipeline.jobs with a throwaway consumer group (kafkajs has no
 * `assign()`): every partition is paused except those asked for, which are sought to their
 * lowest wanted offset. Read-committed, so only jobs dedupe committed are seen. Offsets that no
 * longer exist (past retention) are simply missing from the answer.
 */
export function kafkaJobReader(options: KafkaJobReaderOptions): JobReader {
  const stallTimeoutMs = options.stallTimeoutMs ?? 60_000;
  return async (locations) => {
    const found = new Map<string, SourceRecord>();
    if (locations.length === 0) return found;
    const wanted = new Map<number, Set<string>>();
    const bounds = new Map<number, { min: bigint; max: bigint }>();
    for (const { partition, offset } of locations) {
      let set = wanted.get(partition);
      if (!set) wanted.set(partition, (set = new Set()));
      set.add(offset);
      const value = BigInt(offset);
      const b = bounds.get(partition);
      bounds.set(partition, {
        min: b && b.min < value ? b.min : value,
        max: b && b.max > value ? b.max : value,
      });
    }
    const admin = options.kafka.admin();
    await admin.connect();
    let partitions: number[];
    const ends = new Map<number, bigint>();
    try {
      const offsets = await admin.fetchTopicOffsets(options.topic);
      partitions = offsets.map((o) => o.partition);
      for (const o of offsets) ends.set(o.partition, BigInt(o.high));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    // A wanted offset at or past the end cannot be read (yet): stop there.
    const done = new Set<number>();
    for (const [partition, b] of bounds) {
      if ((ends.get(partition) ?? 0n) <= b.min) done.add(partition);
    }
    if (done.size === bounds.size) return found;

    const consumer = options.kafka.consumer({
      groupId: `${options.groupIdPrefix}.${randomUUID()}`,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 200,
    });
    let resolveAll!: () => void;
    const finished = new Promise<void>((resolve) => (resolveAll = resolve));
    let progressAt = Date.now();
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: options.topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const partition = batch.partition;
          const set = wanted.get(partition);
          const b = bounds.get(partition);
          if (!set || !b || done.has(partition)) return;
          for (const message of batch.messages) {
            if (!set.has(message.offset)) continue;
            found.set(locationKey(partition, message.offset), {
              key: message.key,
              value: message.value,
              headers: message.headers ?? {},
              topic: batch.topic,
              partition,
              offset: message.offset,
            });
          }
          progressAt = Date.now();
          const last = BigInt(batch.lastOffset());
          const end = ends.get(partition) ?? 0n;
          if (last >= b.max || last + 1n >= end) done.add(partition);
          if (done.size === bounds.size) resolveAll();
        },
      });
      const others = partitions.filter((p) => !wanted.has(p));
      if (others.length > 0) consumer.pause([{ topic: options.topic, partitions: others }]);
      for (const [partition, b] of bounds) {
        if (!done.has(partition)) {
          consumer.seek({ topic: options.topic, partition, offset: b.min.toString() });
        }
      }
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (Date.now() - progressAt > stallTimeoutMs) {
            clearInterval(timer);
            reject(new Error(`reading jobs back from ${options.topic} stalled`));
          }
        }, 250);
        void finished.then(() => {
          clearInterval(timer);
          resolve();
        });
      });
      return found;
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
  };
}
