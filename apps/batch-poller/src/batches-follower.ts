import { randomUUID } from 'node:crypto';
import { startKeptRunning, restartLogging, type KeepRunning } from '@claude-pipeline/kafka';
import type { Logger } from '@claude-pipeline/telemetry';
import type { Consumer, Kafka } from 'kafkajs';
import { createBatchesView, type BatchesView } from './batches-view.ts';
import { decodeStored, type HeldRecord } from './stored.ts';

/**
 * Follows `pipeline.batches` whole: a consumer group of its own per replica (every replica needs
 * every record: batch ids named by any record, for the orphan sweep), reading from the beginning,
 * read-committed (an intent whose transaction aborted is never seen). The view is trusted for a
 * partition only once it has read that partition up to the end offset measured before acting
 * (`sync`), like a store restored before processing.
 */
export interface BatchesFollower {
  readonly view: BatchesView;
  start(): Promise<void>;
  /** Resolves once every record committed before the call is in the view. */
  sync(timeoutMs: number): Promise<void>;
  /** Whether the first sync (the restore) has completed. */
  restored(): boolean;
  stop(): Promise<void>;
}

export interface BatchesFollowerOptions {
  kafka: Kafka;
  topic: string;
  groupIdPrefix: string;
  logger: Logger;
  clock: () => number;
  onRecord?: (partition: number, key: string, value: HeldRecord | null) => void;
}

export function createBatchesFollower(options: BatchesFollowerOptions): BatchesFollower {
  const { kafka, topic, logger, clock } = options;
  const view = createBatchesView();
  const positions = new Map<number, bigint>();
  let consumer: Consumer | undefined;
  let keeper: KeepRunning | undefined;
  let stopping = false;
  let restoredOnce = false;

  const advance = (partition: number, lastOffset: string) => {
    const next = BigInt(lastOffset) + 1n;
    if ((positions.get(partition) ?? -1n) < next) positions.set(partition, next);
  };

  const ends = async (): Promise<Map<number, bigint>> => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };

  return {
    view,
    async start() {
      consumer = kafka.consumer({
        groupId: `${options.groupIdPrefix}.${randomUUID()}`,
        readUncommitted: false,
        allowAutoTopicCreation: false,
        maxWaitTimeInMs: 100,
        // Intents list up to 100,000 jobs: allow large fetches.
        maxBytesPerPartition: 32 * 1024 * 1024,
      });
      // Batches holding only transaction markers or aborted records still move the position.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.topic === topic) advance(payload.partition, payload.lastOffset);
      });
      const c = consumer;
      // Its own group, no commits: a restart (kafkajs', or ours below) reads the topic again
      // from the beginning, which the view applies idempotently.
      const run = async () => {
        await c.connect();
        await c.subscribe({ topic, fromBeginning: true });
        await c.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              const key = message.key?.toString('utf8');
              if (!key) continue;
              let value: HeldRecord | null = null;
              if (message.value !== null) {
                try {
                  value = decodeStored(message.value);
                } catch (error) {
                  logger.warn(
                    { partition: batch.partition, offset: message.offset, err: error },
                    'unreadable record on the batches topic, ignored',
                  );
                  continue;
                }
              }
              view.apply(batch.partition, key, value, clock());
              options.onRecord?.(batch.partition, key, value);
            }
            advance(batch.partition, batch.lastOffset());
          },
        });
      };
      keeper = await startKeptRunning(c, {
        start: run,
        stopping: () => stopping,
        ...restartLogging(logger, 'batches (view)'),
      });
    },
    async sync(timeoutMs) {
      const target = await ends();
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const behind = [...target].filter(([p, end]) => (positions.get(p) ?? 0n) < end);
        if (behind.length === 0) break;
        if (Date.now() > deadline) {
          throw new Error(`batches view behind on partitions ${behind.map(([p]) => p).join(',')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      restoredOnce = true;
    },
    restored: () => restoredOnce,
    async stop() {
      stopping = true;
      keeper?.dispose();
      await consumer?.disconnect().catch(() => undefined);
    },
  };
}

/**
 * Which partitions of `pipeline.batches` this replica owns: the assignment of a consumer group
 * shared by every replica. It only holds the assignment; the records come through the follower.
 * It is not paused: kafkajs heartbeats only from its fetch loop's batch handling, so a paused
 * consumer would drop out of the group every session timeout. It reads from the end, in small
 * fetches, and ignores what it reads.
 */
export interface Ownership {
  start(): Promise<void>;
  owned(): ReadonlySet<number>;
  /** Bumped on every group join. */
  generation(): number;
  stop(): Promise<void>;
}

export function createOwnership(options: {
  kafka: Kafka;
  topic: string;
  groupId: string;
  sessionTimeoutMs: number;
  logger: Logger;
  onChange?: (owned: ReadonlySet<number>) => void;
}): Ownership {
  let owned: ReadonlySet<number> = new Set();
  let generation = 0;
  let consumer: Consumer | undefined;
  let keeper: KeepRunning | undefined;
  let stopping = false;
  return {
    async start() {
      consumer = options.kafka.consumer({
        groupId: options.groupId,
        sessionTimeout: options.sessionTimeoutMs,
        heartbeatInterval: Math.min(3000, Math.floor(options.sessionTimeoutMs / 3)),
        allowAutoTopicCreation: false,
        maxBytesPerPartition: 1024,
      });
      const c = consumer;
      c.on(c.events.GROUP_JOIN, ({ payload }) => {
        generation += 1;
        owned = new Set(payload.memberAssignment[options.topic] ?? []);
        options.logger.info({ owned: [...owned], generation }, 'batches partitions assigned');
        options.onChange?.(owned);
      });
      c.on(c.events.CRASH, () => {
        owned = new Set();
        options.onChange?.(owned);
      });
      const run = async () => {
        await c.connect();
        await c.subscribe({ topic: options.topic, fromBeginning: false });
        await c.run({ autoCommit: false, eachBatch: async () => undefined });
      };
      // Without this, a crash kafkajs does not restart from leaves every open batch unpolled.
      keeper = await startKeptRunning(c, {
        start: run,
        stopping: () => stopping,
        ...restartLogging(options.logger, 'batches (ownership)'),
      });
    },
    owned: () => owned,
    generation: () => generation,
    async stop() {
      stopping = true;
      keeper?.dispose();
      owned = new Set();
      await consumer?.disconnect().catch(() => undefined);
    },
  };
}
