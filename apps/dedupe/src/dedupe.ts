import {
  createKafka,
  createStateStore,
  kafkaLogCreator,
  topicNames,
  waitForTopics,
  type StateStore,
} from '@claude-pipeline/kafka';
import type { DedupeEntry } from '@claude-pipeline/schemas';
import {
  createLogger,
  createMetricsRegistry,
  metricsHandler,
  type Logger,
  startHttpServer,
} from '@claude-pipeline/telemetry';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { DedupeConfig } from './config.ts';
import { createDedupeConsumer, type LaneRegistry } from './dedupe.consumer.ts';
import { formatDuration } from './duration.ts';
import { DedupeConfigError } from './errors.ts';
import { createDedupeMetrics } from './metrics.ts';
import { createPartitionLane, type PartitionLane } from './partition-lane.ts';
import { kafkaProducerFactory, type ProducerFactory } from './transaction.port.ts';

export interface DedupeDeps {
  logger?: Logger;
  /** Epoch ms clock. Default `Date.now`. */
  clock?: () => number;
  registry?: Registry;
  /** A kafkajs client; default: one built from `config.kafka`. */
  kafka?: Kafka;
  /** Replaces the transactional producers (tests). */
  producers?: ProducerFactory;
  /** Called once if consumption stops for good (kafkajs gave up): the process should exit. */
  onFatal?: (error: unknown) => void;
}

export interface Dedupe {
  /** Base URL of the HTTP server (`/healthz`, `/readyz`, `/metrics`). */
  readonly url: string;
  readonly port: number;
  readonly config: DedupeConfig;
  isReady(): boolean;
  /** Stops consuming after in-flight transactions, closes stores and the HTTP server. */
  stop(): Promise<void>;
}

/** Fails fast when a topic is missing or the changelog is not co-partitioned with the input. */
async function checkTopics(kafka: Kafka, config: DedupeConfig): Promise<void> {
  const names = topicNames(config.kafka.topicPrefix);
  const required = [
    names.events,
    names.dedupeChangelog,
    names.jobs,
    names.status,
    names.dlq('dedupe'),
  ];
  const admin = kafka.admin();
  await admin.connect();
  try {
    try {
      await waitForTopics(admin, required, { timeoutMs: 15_000 });
    } catch (error) {
      throw new DedupeConfigError(
        `topics not found (${required.join(', ')}): provision them with \`npm run topics\``,
        { cause: error },
      );
    }
    const { topics } = await admin.fetchTopicMetadata({
      topics: [names.events, names.dedupeChangelog],
    });
    const count = (name: string) => topics.find((t) => t.name === name)?.partitions.length ?? 0;
    if (count(names.events) !== count(names.dedupeChangelog)) {
      throw new DedupeConfigError(
        `${names.dedupeChangelog} has ${count(names.dedupeChangelog)} partitions and ` +
          `${names.events} ${count(names.events)}: the changelog must be co-partitioned with the input`,
      );
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Starts dedupe: HTTP probes first (so `/healthz` answers during a long restore), then the
 * consumer; partitions become ready as they are fenced and restored.
 */
export async function startDedupe(config: DedupeConfig, deps: DedupeDeps = {}): Promise<Dedupe> {
  const logger = deps.logger ?? createLogger({ service: 'dedupe' });
  const clock = deps.clock ?? Date.now;
  const registry = deps.registry ?? createMetricsRegistry({ service: 'dedupe' });
  const metrics = createDedupeMetrics(registry);
  const names = topicNames(config.kafka.topicPrefix);
  const kafka =
    deps.kafka ??
    createKafka({
      settings: config.kafka,
      // kafkajs logs what it retries as ERROR; what it gives up on reaches dedupe as an exception.
      logCreator: kafkaLogCreator(logger, { errors: 'warn', info: 'debug' }),
    });

  await checkTopics(kafka, config);

  const store: StateStore<DedupeEntry> = createStateStore<DedupeEntry>({
    kafka,
    changelogTopic: names.dedupeChangelog,
    dir: config.stateDir,
    name: 'dedupe',
    logger,
    clock,
  });
  const producers =
    deps.producers ??
    kafkaProducerFactory({
      kafka,
      transactionalIdPrefix: config.transactionalIdPrefix,
      transactionTimeoutMs: config.transactionTimeoutMs,
    });

  const lanes = new Map<number, PartitionLane>();
  const releasing = new Map<number, Promise<void>>();
  const registryOfLanes: LaneRegistry = {
    get: (partition) => lanes.get(partition),
    getOrCreate(partition) {
      let lane = lanes.get(partition);
      if (!lane) {
        const pendingRelease = releasing.get(partition);
        lane = createPartitionLane({
          partition,
          topics: names,
          groupId: config.groupId,
          store,
          producers,
          metrics,
          logger,
          windowMs: config.windowMs,
          maxBatchRecords: config.maxBatchRecords,
          expiryBatchSize: config.expiry.batchSize,
          currentGeneration: () => consumer.generation,
          clock,
          ...(pendingRelease ? { after: pendingRelease } : {}),
        });
        lanes.set(partition, lane);
      }
      return lane;
    },
    async release(partition) {
      const lane = lanes.get(partition);
      if (!lane) return;
      lanes.delete(partition);
      const done = lane.release().finally(() => {
        if (releasing.get(partition) === done) releasing.delete(partition);
      });
      releasing.set(partition, done);
      await done;
    },
    partitions: () => [...lanes.keys()],
  };

  let fatal = false;
  let stopping = false;
  const consumer = createDedupeConsumer({
    kafka,
    groupId: config.groupId,
    topic: names.events,
    lanes: registryOfLanes,
    logger,
    partitionsConsumedConcurrently: config.partitionsConsumedConcurrently,
    maxBytesPerPartition: config.maxBytesPerPartition,
    sessionTimeoutMs: config.sessionTimeoutMs,
    onFatal: (error) => {
      if (fatal) return;
      fatal = true;
      deps.onFatal?.(error);
    },
  });
  const readiness = () => {
    const current = consumer.generation;
    const assigned = consumer.assigned;
    const pending = assigned.filter((p) => !lanes.get(p)?.isPreparedFor(current));
    const ready = !stopping && !fatal && consumer.running && pending.length === 0;
    return {
      ready,
      details: { generation: current, assigned, restoring: pending, consumer: consumer.running },
    };
  };
  const renderMetrics = metricsHandler(registry);
  const http = await startHttpServer(
    {
      healthy: () => !fatal,
      readiness,
      metrics: async () => {
        for (const [partition, lane] of lanes) {
          const size = lane.storeSize();
          if (size !== undefined) metrics.storeKeys.set({ partition: String(partition) }, size);
        }
        return renderMetrics();
      },
    },
    config.http,
  );

  try {
    await consumer.start();
  } catch (error) {
    await http.close();
    await store.closeAll().catch(() => undefined);
    throw error;
  }

  const sweeper = setInterval(() => {
    const current = consumer.generation;
    for (const [partition, lane] of lanes) {
      lane.sweepExpired(current).catch((error: unknown) => {
        logger.warn({ partition, err: error }, 'expiry sweep failed; retried next interval');
      });
    }
  }, config.expiry.intervalMs);
  sweeper.unref();

  logger.info(
    {
      url: http.url,
      groupId: config.groupId,
      input: names.events,
      window: formatDuration(config.windowMs),
      stateDir: config.stateDir,
    },
    'dedupe started',
  );

  let stopped: Promise<void> | undefined;
  return {
    url: http.url,
    port: http.port,
    config,
    isReady: () => readiness().ready,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        clearInterval(sweeper);
        await consumer.stop().catch((error: unknown) => {
          logger.warn({ err: error }, 'consumer did not stop cleanly');
        });
        await Promise.all(registryOfLanes.partitions().map((p) => registryOfLanes.release(p)));
        await store.closeAll().catch(() => undefined);
        await http.close();
        logger.info('dedupe stopped');
      })();
      return stopped;
    },
  };
}
