import {
  createBatchingProducer,
  renewableProducer,
  createConcurrentConsumer,
  createKafka,
  createRetryChain,
  topicNames,
  waitForTopics,
  type ConsumedRecord,
} from '@claude-pipeline/kafka';
import { createLogger, createMetricsRegistry, type Logger } from '@claude-pipeline/telemetry';
import kafkajs, { type Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { NotifierConfig } from './config.ts';
import { SERVICE_NAME } from './defaults.ts';
import { createTenantSigners } from './delivery/callback-request.ts';
import { createDeliveryHandler } from './delivery/deliver.handler.ts';
import { createGoneList, createHandoffLedger } from './delivery/handoff-ledger.ts';
import { describeDelays, notifierRetryPolicy } from './delivery/schedule.ts';
import { createStatusPublisher } from './delivery/status.publisher.ts';
import { startDepthMonitor } from './depth-monitor.ts';
import { createDestinationRegistry } from './destinations/destination-registry.ts';
import { createCallbackClient } from './http/callback-client.ts';
import {
  systemResolver,
  withLiterals,
  type ResolvedAddress,
  type Resolver,
} from './http/resolver.ts';
import { startLoopClock } from './loop-clock.ts';
import { createNotifierMetrics, type NotifierMetrics } from './metrics.ts';
import { startServer } from './server.ts';
import { createAddressPolicy } from './ssrf/address-policy.ts';
import { NotifierError } from './errors.ts';
import { kafkaLogCreator, restartLogging } from '@claude-pipeline/kafka';

/**
 * The notifier service: consumes `pipeline.results` and its retry stages, POSTs each result
 * with a callback to its URL (signed, SSRF-guarded, isolated per destination), reports
 * `delivering`/`delivered`/`undeliverable` on `pipeline.status`, and dead-letters what cannot
 * be delivered. `startNotifier` is what `main.ts` runs and what the integration tests start
 * in process.
 */
export interface NotifierDeps {
  logger?: Logger;
  /** Name resolution for callback hosts (tests map names to addresses). */
  resolver?: Resolver;
  /** Metrics registry (default: a new one labelled `service="notifier"`). */
  registry?: Registry;
  /** A kafkajs client (default: one built from `config.kafka`). */
  kafka?: Kafka;
  /** Told which address each outbound connection goes to. */
  onConnect?: (hostname: string, address: ResolvedAddress) => void;
  now?: () => number;
}

export interface Notifier {
  /** Base URL of the health/metrics server. */
  readonly url: string;
  readonly ready: boolean;
  readonly metrics: NotifierMetrics;
  /** Drains: stops consuming, waits for deliveries in flight (bounded), commits, closes. */
  stop(): Promise<void>;
  /** Closes at once without draining or committing, as a crash would (tests). */
  abort(): Promise<void>;
}

// kafkajs is CommonJS and builds its exports with a spread, which Node's CJS named-export
// detection cannot see: take the partitioners from the default export.
const { Partitioners } = kafkajs;

/** Housekeeping (idle pools and destinations, circuit gauge), every 30 s. */
const HOUSEKEEPING_MS = 30_000;

export async function startNotifier(
  config: NotifierConfig,
  deps: NotifierDeps = {},
): Promise<Notifier> {
  const now = deps.now ?? Date.now;
  const logger = deps.logger ?? createLogger({ service: SERVICE_NAME });
  const kafka =
    deps.kafka ?? createKafka({ settings: config.kafka, logCreator: kafkaLogCreator(logger) });
  const names = topicNames(config.kafka.topicPrefix);
  const { delaysMs, jitter } = config.retry;
  const policy = notifierRetryPolicy(delaysMs, jitter);
  const stageTopics = delaysMs.map((_, i) => names.retry('notifier', i + 1));
  const dlqTopic = names.dlq('notifier');

  const registry = deps.registry ?? createMetricsRegistry({ service: SERVICE_NAME });
  const metrics = createNotifierMetrics(registry);

  const admin = kafka.admin();
  const producer = renewableProducer(
    () =>
      kafka.producer({
        idempotent: true,
        allowAutoTopicCreation: false,
        // Java's murmur2 partitioner (kafkajs' default since v2), named so no warning is
        // logged: status records must land where every other producer of a job id puts them.
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
    // Topics are provisioned separately (`npm run topics`): fail clearly if they are missing.
    const needed = [names.results, names.status, ...stageTopics, dlqTopic];
    const existing = new Set(await admin.listTopics());
    const missing = needed.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      throw new NotifierError(`topics missing (run \`npm run topics\`): ${missing.join(', ')}`);
    }
    await waitForTopics(admin, needed, { timeoutMs: 15_000 });
    await producer.connect();
    cleanups.push(() => producer.disconnect()); // the current one, after any renewal
  } catch (error) {
    await closeAll();
    throw error;
  }
  const batching = createBatchingProducer({
    producer: producer.current,
    // A produce the broker rejected in part leaves kafkajs' sequence numbers wrong for the
    // other partitions of the request: continue from a new producer id (see batching-producer).
    renew: producer.renew,
  });

  // Waiting budgets (hand-off, destination slots and stalls) do not count the time this
  // process's event loop was stalled: see loop-clock.ts.
  const loopClock = startLoopClock({ wall: now });
  cleanups.push(async () => loopClock.stop());
  const clock = () => loopClock.now();

  const addressPolicy = createAddressPolicy({ allowCidrs: config.delivery.allowCidrs });
  const client = createCallbackClient({
    policy: addressPolicy,
    resolver: withLiterals(deps.resolver ?? systemResolver),
    timeoutMs: config.delivery.timeoutMs,
    connectionsPerOrigin: config.destinations.concurrency,
    responseBodyLimitBytes: config.delivery.responseBodyLimitBytes,
    now,
    ...(deps.onConnect ? { onConnect: deps.onConnect } : {}),
  });
  cleanups.push(() => client.close());

  const destinations = createDestinationRegistry(
    {
      ...config.destinations,
      // An endpoint with every connection busy that finished nothing for a stall period is
      // stalled: records queueing behind it would only wait to be handed off.
      stallMs: Math.min(config.delivery.stallMs, config.delivery.handoffMs),
      busyRetryMs: delaysMs[0] ?? 1,
    },
    {
      now: clock,
      onCircuitChange: (origin, state, previous) => {
        metrics.openCircuits.set(destinations.openCircuits());
        logger.warn({ origin, state, previous }, `circuit of ${origin} is ${state}`);
      },
    },
  );

  const status = createStatusPublisher({ producer: batching, topic: names.status, logger, now });
  const ledger = createHandoffLedger({
    ttlMs: Math.max(...delaysMs) + 600_000, // the longest stage delay + 10 minutes
    now,
  });
  const handler = createDeliveryHandler({
    names,
    stages: delaysMs.length,
    signers: createTenantSigners(config.tenantSecrets, now),
    client,
    destinations,
    urlPolicy: { allowHttp: config.delivery.allowHttp, policy: addressPolicy },
    status,
    ledger,
    gone: createGoneList({ ttlMs: config.delivery.goneTtlMs, now }),
    metrics,
    logger,
    handoffMs: config.delivery.handoffMs,
    stallMs: config.delivery.stallMs,
    timeoutMs: config.delivery.timeoutMs,
    retryAfter: config.delivery.retryAfter,
    now,
    clock,
  });
  const chain = createRetryChain({
    service: 'notifier',
    names,
    policy,
    producer: batching,
    handler: handler.handle,
    onRouted: handler.onRouted,
    now,
  });

  const inflight = async (record: ConsumedRecord) => {
    metrics.inflight.inc({ topic: record.topic });
    try {
      await chain.handler(record);
    } finally {
      metrics.inflight.dec({ topic: record.topic });
    }
  };
  const consumer = createConcurrentConsumer({
    kafka,
    groupId: config.groupId,
    topics: [names.results, ...chain.stageTopics],
    handler: inflight,
    notBefore: chain.notBefore,
    maxInFlight: config.consumer.maxInFlight,
    consumerConfig: {
      sessionTimeout: config.consumer.sessionTimeoutMs,
      heartbeatInterval: Math.max(
        100,
        Math.min(3_000, Math.floor(config.consumer.sessionTimeoutMs / 3)),
      ),
    },
    onHandlerError: (record, error) =>
      logger.error(
        { err: error, topic: record.topic, partition: record.partition, offset: record.offset },
        'record not settled (Kafka unreachable?); retrying in place',
      ),
    ...restartLogging(logger, 'results'),
    now,
  });
  let joined = false;
  let stopping = false;
  consumer.consumer.on(consumer.consumer.events.GROUP_JOIN, () => {
    joined = true;
  });
  consumer.consumer.on(consumer.consumer.events.CRASH, ({ payload }) => {
    joined = false;
    logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
  });

  const depth = startDepthMonitor({
    admin,
    groupId: config.groupId,
    sourceTopic: names.results,
    stageTopics,
    dlqTopic,
    metrics,
    intervalMs: config.depthIntervalMs,
    logger,
  });
  cleanups.push(async () => depth.stop());
  const housekeeping = setInterval(() => {
    client.sweep();
    destinations.sweep();
    metrics.openCircuits.set(destinations.openCircuits());
  }, HOUSEKEEPING_MS);
  housekeeping.unref();
  cleanups.push(async () => clearInterval(housekeeping));

  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      host: config.http.host,
      port: config.http.port,
      registry,
      ready: () => joined && !stopping,
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
      topics: [names.results, ...chain.stageTopics],
      retry_schedule: describeDelays(delaysMs),
      allow_http: config.delivery.allowHttp,
      allow_cidrs: config.delivery.allowCidrs,
      tenants: config.tenantSecrets.size,
      url: server.url,
    },
    'notifier started',
  );

  return {
    url: server.url,
    metrics,
    get ready() {
      return joined && !stopping;
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      const deadline = now() + config.shutdownTimeoutMs;
      await consumer.stop({ timeoutMs: config.shutdownTimeoutMs });
      // Handed-off POSTs: their records are safe in a retry stage; wait a little for their
      // outcome (so a success is reported), then abort them with the pools.
      const running = ledger.running();
      if (running.length > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled(running),
          new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - now())))),
        ]);
        clearTimeout(timer);
      }
      await batching.flush().catch(() => undefined);
      status.close();
      await closeAll();
      logger.info('notifier stopped');
    },
    async abort() {
      stopping = true;
      status.close();
      await consumer.abort().catch(() => undefined);
      await closeAll();
    },
  };
}
