import {
  createBatchingProducer,
  renewableProducer,
  createConcurrentConsumer,
  createKafka,
  createRetryChain,
  retryPolicy,
  topicNames,
  waitForTopics,
  type ConsumedRecord,
} from '@claude-pipeline/kafka';
import { createLogger, createMetricsRegistry, type Logger } from '@claude-pipeline/telemetry';
import kafkajs, { type Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { createMessagesClient, type MessagesClient } from './claude/messages-client.ts';
import type { WorkerConfig } from './config.ts';
import { SERVICE_NAME } from './defaults.ts';
import { WorkerError } from './errors.ts';
import { createJobHandler } from './job.handler.ts';
import { kafkaLogCreator, restartLogging } from '@claude-pipeline/kafka';
import { createRateLimiter, type RateLimiter } from './limiter/rate-limiter.ts';
import { createWorkerMetrics, type WorkerMetrics } from './metrics.ts';
import { createJobPublisher } from './output/job-publisher.ts';
import { startServer } from './server.ts';

/**
 * The claude-worker service: consumes realtime jobs from `pipeline.jobs` and its retry stages,
 * calls the Messages API with many calls in flight under one shared rate limiter, and publishes
 * results, status and stream records. `startWorker` is what `main.ts` runs and what the
 * integration tests start in process.
 */
export interface WorkerDeps {
  logger?: Logger;
  registry?: Registry;
  kafka?: Kafka;
  /** The Messages API port (default: the SDK against `config.anthropic`). */
  client?: MessagesClient;
  now?: () => number;
}

export interface Worker {
  readonly url: string;
  readonly ready: boolean;
  /** Whether an account error (401/403) stopped consumption. */
  readonly halted: boolean;
  readonly metrics: WorkerMetrics;
  readonly limiter: RateLimiter;
  /** Drains: stops consuming, waits for calls in flight (bounded), commits, closes. */
  stop(): Promise<void>;
  /** Closes at once without draining or committing, as a crash would (tests). */
  abort(): Promise<void>;
}

// kafkajs is CommonJS and builds its exports with a spread: take the partitioners from default.
const { Partitioners } = kafkajs;

export async function startWorker(config: WorkerConfig, deps: WorkerDeps = {}): Promise<Worker> {
  const now = deps.now ?? Date.now;
  const logger = deps.logger ?? createLogger({ service: SERVICE_NAME });
  const kafka =
    deps.kafka ?? createKafka({ settings: config.kafka, logCreator: kafkaLogCreator(logger) });
  const names = topicNames(config.kafka.topicPrefix);
  const { delaysMs, jitter, throttleInProcessMs } = config.retry;
  const stageTopics = delaysMs.map((_, i) => names.retry('claude-worker', i + 1));
  const dlqTopic = names.dlq('claude-worker');
  const registry = deps.registry ?? createMetricsRegistry({ service: SERVICE_NAME });
  const metrics = createWorkerMetrics(registry);

  const admin = kafka.admin();
  const producer = renewableProducer(
    () =>
      kafka.producer({
        idempotent: true,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      }),
    logger,
  );
  const cleanups: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const needed = [
      names.jobs,
      names.results,
      names.status,
      names.stream,
      ...stageTopics,
      dlqTopic,
    ];
    const existing = new Set(await admin.listTopics());
    const missing = needed.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      throw new WorkerError(`topics missing (run \`npm run topics\`): ${missing.join(', ')}`);
    }
    await waitForTopics(admin, needed, { timeoutMs: 15_000 });
    await admin.disconnect();
    cleanups.pop();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
  } catch (error) {
    await closeAll();
    throw error;
  }
  const batching = createBatchingProducer({ producer: producer.current, renew: producer.renew });
  const limiter = createRateLimiter({
    defaults: config.limits.defaults,
    perModel: config.limits.perModel,
    headroom: config.limits.headroom,
    requestBurstMs: config.limits.requestBurstMs,
    maxInFlight: config.maxInFlight,
    now,
  });
  const client =
    deps.client ??
    createMessagesClient({
      apiKey: config.anthropic.apiKey,
      baseURL: config.anthropic.baseURL,
      timeoutMs: config.anthropic.timeoutMs,
    });
  const publisher = createJobPublisher({
    producer: batching,
    topics: { results: names.results, status: names.status },
    logger,
    now,
  });

  let halted = false;
  let joined = false;
  let stopping = false;
  const handler = createJobHandler({
    client,
    limiter,
    publisher,
    producer: batching,
    streamTopic: names.stream,
    routing: config.routing,
    caching: config.caching,
    charsPerToken: config.charsPerToken,
    stages: delaysMs.length,
    orderKey: config.orderKey,
    metrics,
    logger,
    halted: () => halted,
    now,
  });
  const chain = createRetryChain({
    service: 'claude-worker',
    names,
    policy: retryPolicy(delaysMs, { jitter, maxInProcessDeferralMs: throttleInProcessMs }),
    producer: batching,
    handler: handler.handle,
    onRouted: handler.onRouted,
    now,
  });
  const inflight = async (record: ConsumedRecord) => {
    metrics.inflightRecords.inc({ topic: record.topic });
    try {
      await chain.handler(record);
    } finally {
      metrics.inflightRecords.dec({ topic: record.topic });
    }
  };
  const topics = [names.jobs, ...chain.stageTopics];
  const consumer = createConcurrentConsumer({
    kafka,
    groupId: config.groupId,
    topics,
    handler: inflight,
    notBefore: chain.notBefore,
    maxInFlight: config.partitionWindow,
    consumerConfig: {
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: Math.max(100, Math.min(3_000, Math.floor(config.sessionTimeoutMs / 3))),
    },
    onHandlerError: (record, error) =>
      logger.error(
        { err: error, topic: record.topic, partition: record.partition, offset: record.offset },
        'record not settled (Kafka unreachable?); retrying in place',
      ),
    onHalt: (error) => {
      if (stopping) return; // calls cut short by our own shutdown, not by the account
      halted = true;
      // Calls waiting for the limiter would get the same answer: they end uncommitted too.
      limiter.close('consumption halted (account error)');
      logger.fatal(
        { alert: 'claude_account_error', reason: error.message },
        'ALERT: the Anthropic API refused the pipeline credentials (401/403); consumption stopped, jobs stay in Kafka. Fix the key or permissions and restart.',
      );
    },
    ...restartLogging(logger, 'jobs'),
    now,
  });
  consumer.consumer.on(consumer.consumer.events.GROUP_JOIN, () => {
    joined = true;
  });
  consumer.consumer.on(consumer.consumer.events.CRASH, ({ payload }) => {
    joined = false;
    logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
  });
  const ready = () => joined && !stopping && !halted;

  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      host: config.http.host,
      port: config.http.port,
      registry,
      ready,
      logger,
    });
    cleanups.push(() => server.close());
    await consumer.start();
  } catch (error) {
    await consumer.abort().catch(() => undefined);
    await closeAll();
    throw error;
  }
  logger.info(
    {
      group: config.groupId,
      topics,
      base_url: config.anthropic.baseURL,
      max_in_flight: config.maxInFlight,
      limits: config.limits.defaults,
      retry_delays_ms: delaysMs,
      url: server.url,
    },
    'claude-worker started',
  );

  return {
    url: server.url,
    metrics,
    limiter,
    get ready() {
      return ready();
    },
    get halted() {
      return halted;
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      await consumer.stop({ timeoutMs: config.shutdownTimeoutMs });
      limiter.close('stopping');
      await batching.flush().catch(() => undefined);
      publisher.close();
      await closeAll();
      logger.info('claude-worker stopped');
    },
    async abort() {
      stopping = true;
      limiter.close('aborted');
      publisher.close();
      await consumer.abort().catch(() => undefined);
      await closeAll();
    },
  };
}
