import { startKeptRunning, restartLogging } from '@claude-pipeline/kafka';
import type { Logger } from '@claude-pipeline/telemetry';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { IngestMetrics } from '../metrics.ts';
import type { CatchUpTracker } from './catch-up.ts';
import type { StatusView } from './status-view.ts';

/**
 * Keeps this replica's status view: `pipeline.status` read whole, from the beginning, in a
 * consumer group of its own (kafkajs has no manual `assign()`: ARCHITECTURE.md, "kafkajs
 * facts"). read_committed: a state written in a dedupe transaction that aborts is never shown.
 */
export interface StatusConsumer {
  /**
   * False after a crash kafkajs does not restart from, until the consumer, started again, has
   * joined its group.
   */
  readonly running: boolean;
  /** Stops consuming and deletes the replica's group (best effort). */
  stop(): Promise<void>;
}

export interface StatusConsumerOptions {
  kafka: Kafka;
  admin: Admin;
  topic: string;
  groupId: string;
  view: StatusView;
  tracker: CatchUpTracker;
  metrics: IngestMetrics;
  logger: Logger;
}

const OUTCOME = { merged: 'ok', deleted: 'deleted', invalid: 'invalid' } as const;

export async function startStatusConsumer(options: StatusConsumerOptions): Promise<StatusConsumer> {
  const { topic, groupId, view, tracker, metrics, logger } = options;
  // Targets first, then read from the beginning: everything below them is read before ready.
  const offsets = await options.admin.fetchTopicOffsets(topic);
  tracker.start(offsets.map(({ partition, low, high }) => ({ partition, low, high })));

  let running = true;
  let stopping = false;
  const consumer: Consumer = options.kafka.consumer({
    groupId,
    // kafkajs' 5 s default would delay every update of an idle view by up to 5 s.
    maxWaitTimeInMs: 250,
    readUncommitted: false,
    // kafkajs restarts a crashed consumer (Kafka down, a rebalance error) after a delay; a crash
    // caused by our own disconnect must not bring it back after stop().
    retry: { restartOnFailure: async () => !stopping },
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const next = (BigInt(payload.lastOffset) + 1n).toString();
    tracker.advance(payload.partition, next);
    const lag = BigInt(payload.highWatermark) - BigInt(next);
    metrics.consumerLag.set(
      { group: groupId, topic, partition: String(payload.partition) },
      Number(lag > 0n ? lag : 0n),
    );
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    logger.error({ err: payload.error, restart: payload.restart }, 'status consumer crashed');
    if (!payload.restart) running = false;
  });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    if (!stopping) running = true;
  });

  const run = async () => {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const outcome = view.fold(message.key?.toString() ?? null, message.value);
        metrics.recordsProcessed.inc({ topic, outcome: OUTCOME[outcome] });
        if (outcome === 'invalid') {
          logger.warn(
            { topic, offset: message.offset },
            'status record ignored: not a status record',
          );
        }
      },
    });
  };
  // A crash kafkajs does not restart from would freeze the view (and readiness) for good.
  const keeper = await startKeptRunning(consumer, {
    start: run,
    stopping: () => stopping,
    ...restartLogging(logger, 'status view'),
  });

  return {
    get running() {
      return running;
    },
    async stop() {
      stopping = true;
      running = false;
      keeper.dispose();
      await consumer.disconnect();
      // The group is this replica's alone and worthless after it: do not leave it behind.
      await options.admin.deleteGroups([groupId]).catch((error: unknown) => {
        logger.debug({ err: error, groupId }, 'status group not deleted');
      });
    },
  };
}
