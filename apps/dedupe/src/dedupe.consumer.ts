import { pausePartitions, resumePartitions } from '@claude-pipeline/kafka';
import type { Logger } from '@claude-pipeline/telemetry';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { isFencedError } from './errors.ts';
import type { PartitionLane } from './partition-lane.ts';

/**
 * The kafkajs consumer of `pipeline.events`: a plain group consumer with `eachBatch`, not the
 * lib's concurrent consumer, because dedupe commits offsets only inside its transactions
 * (`sendOffsets`) and processes each partition strictly in order, one transaction per batch.
 *
 * - `autoCommit: false`, `eachBatchAutoResolve: false`: a batch's offsets are resolved (so the
 *   next fetch moves on) only after its transaction committed; a failed batch is fetched again.
 * - Every GROUP_JOIN is a new generation: partitions no longer assigned are released (producer
 *   disconnected, store partition closed), and each assigned one is prepared at once (fence,
 *   then restore the store's tail) even before its first batch arrives, so readiness means
 *   "every assigned partition can be processed".
 * - A failed batch holds only its partition (paused, resumed after a backoff); a fenced one
 *   (another instance took it over) is held for a session timeout, by which time the rebalance
 *   that explains it has normally reached this instance.
 */
export interface DedupeConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topic: string;
  lanes: LaneRegistry;
  logger: Logger;
  partitionsConsumedConcurrently: number;
  maxBytesPerPartition: number;
  sessionTimeoutMs: number;
  /** Called when kafkajs gives up (a crash it does not restart from). */
  onFatal: (error: unknown) => void;
}

/** The lanes of the partitions this instance has, created on assignment. */
export interface LaneRegistry {
  get(partition: number): PartitionLane | undefined;
  getOrCreate(partition: number): PartitionLane;
  /** Releases the lane (queued after its work) and forgets it. */
  release(partition: number): Promise<void>;
  partitions(): number[];
}

export interface DedupeConsumer {
  start(): Promise<void>;
  /** Leaves the group after in-flight batches finished. */
  stop(): Promise<void>;
  /** Current group generation (0 before the first join). */
  readonly generation: number;
  /** Partitions assigned in the current generation. */
  readonly assigned: readonly number[];
  /** Joined, running, and not crashed since the last join. */
  readonly running: boolean;
}

/** Backoff of a failed batch (ms): doubles per consecutive failure of the partition. */
const BACKOFF = { initialMs: 200, maxMs: 30_000 } as const;

export function createDedupeConsumer(options: DedupeConsumerOptions): DedupeConsumer {
  const { topic, lanes, logger } = options;
  const consumer: Consumer = options.kafka.consumer({
    groupId: options.groupId,
    readUncommitted: false,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: Math.max(100, Math.min(3000, Math.floor(options.sessionTimeoutMs / 5))),
    maxBytesPerPartition: options.maxBytesPerPartition,
    // kafkajs' 5 s default makes every resumed partition wait: keep it short.
    maxWaitTimeInMs: 250,
    allowAutoTopicCreation: false,
  });

  let generation = 0;
  let assigned: number[] = [];
  let joined = false;
  let crashed = false;
  let stopped = false;
  const failures = new Map<number, number>();
  const holds = new Map<number, NodeJS.Timeout>();

  function clearHolds(): void {
    for (const timer of holds.values()) clearTimeout(timer);
    holds.clear();
  }

  /** Pauses a partition's fetch and resumes it after `ms` (if still assigned). */
  function hold(partition: number, ms: number): void {
    pausePartitions(consumer, [{ topic, partitions: [partition] }]);
    clearTimeout(holds.get(partition));
    const timer = setTimeout(() => {
      holds.delete(partition);
      if (!stopped && assigned.includes(partition)) {
        resumePartitions(consumer, [{ topic, partitions: [partition] }]);
      }
    }, ms);
    timer.unref();
    holds.set(partition, timer);
  }

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    generation += 1;
    joined = true;
    crashed = false;
    const now = [...(payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
    const current = generation;
    // kafkajs keeps pauses across a rebalance: a held partition starts the new generation fresh.
    const held = [...holds.keys()].filter((p) => now.includes(p));
    clearHolds();
    if (held.length > 0) resumePartitions(consumer, [{ topic, partitions: held }]);
    failures.clear();
    for (const partition of lanes.partitions()) {
      if (!now.includes(partition)) {
        void lanes.release(partition).catch((error: unknown) => {
          logger.warn({ partition, err: error }, 'releasing a revoked partition failed');
        });
      }
    }
    assigned = now;
    logger.info({ generation: current, partitions: now }, 'assigned partitions');
    for (const partition of now) {
      lanes
        .getOrCreate(partition)
        .prepare(current)
        .catch((error: unknown) => {
          // Retried when the partition's first batch arrives.
          logger.warn({ partition, generation: current, err: error }, 'prepare failed');
        });
    }
  });

  consumer.on(consumer.events.CRASH, ({ payload }) => {
    crashed = true;
    logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
    if (!payload.restart && !stopped) options.onFatal(payload.error);
  });

  /** Awaits lane work while keeping the group session alive (a restore can take minutes). */
  async function withHeartbeats<T>(work: Promise<T>, heartbeat: () => Promise<void>): Promise<T> {
    let settled = false;
    const done = work.finally(() => {
      settled = true;
    });
    while (!settled) {
      await Promise.race([
        done.catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 1000)),
      ]);
      if (!settled) await heartbeat().catch(() => undefined);
    }
    return done;
  }

  async function eachBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
  }: EachBatchPayload): Promise<void> {
    if (batch.topic !== topic || batch.messages.length === 0) return;
    const { partition } = batch;
    const lane = lanes.getOrCreate(partition);
    try {
      await withHeartbeats(
        lane.processBatch({
          messages: batch.messages,
          generation,
          lastOffset: batch.lastOffset(),
          highWatermark: batch.highWatermark,
          onCommitted: (offset) => resolveOffset(offset),
        }),
        heartbeat,
      );
      failures.delete(partition);
    } catch (error) {
      if (!isRunning() || stopped) return;
      const count = (failures.get(partition) ?? 0) + 1;
      failures.set(partition, count);
      const fenced = isFencedError(error);
      const wait = fenced
        ? options.sessionTimeoutMs
        : Math.min(BACKOFF.maxMs, BACKOFF.initialMs * 2 ** (count - 1));
      logger.warn(
        { partition, err: error, fenced, retryInMs: wait, failures: count },
        fenced
          ? 'partition taken over by another instance; holding it until the rebalance'
          : 'batch failed and was rolled back; holding the partition before retrying',
      );
      // Not rethrown: kafkajs would retry at once and then restart the whole consumer. The
      // batch is not resolved, so it is fetched again when the partition resumes.
      hold(partition, wait);
    }
  }

  return {
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
        eachBatch,
      });
    },
    async stop() {
      stopped = true;
      clearHolds();
      await consumer.disconnect();
    },
    get generation() {
      return generation;
    },
    get assigned() {
      return assigned;
    },
    get running() {
      return joined && !crashed && !stopped;
    },
  };
}
