import { randomUUID } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import {
  createKafka,
  startKeptRunning,
  restartLogging,
  topicNames,
  waitForTopics,
  type KeepRunning,
} from '@claude-pipeline/kafka';
import { batchControlSchema, safeParse } from '@claude-pipeline/schemas';
import {
  createLogger,
  createMetricsRegistry,
  metricsHandler,
  type Logger,
  startHttpServer,
} from '@claude-pipeline/telemetry';
import kafkajs, { type Consumer, type Kafka, type logCreator, type Producer } from 'kafkajs';
import type { Registry } from 'prom-client';
import { createBatchesFollower, createOwnership } from './batches-follower.ts';
import type { BatchPollerConfig } from './config.ts';
import { formatDuration } from './duration.ts';
import { BatchPollerConfigError } from './errors.ts';
import { kafkaJobReader, type JobReader } from './job-reader.ts';
import { createBatchPollerMetrics } from './metrics.ts';
import { createOwner } from './owner.ts';
import { heapRelease } from './heap-pages.ts';
import { createPacker } from './packer.ts';

// kafkajs is CommonJS and Node's named-export detection misses its enums.
const { logLevel } = kafkajs;

export interface BatchPollerDeps {
  logger?: Logger;
  /** Epoch ms clock. Default `Date.now`. */
  clock?: () => number;
  registry?: Registry;
  kafka?: Kafka;
  /** An SDK client; default: one built from `config.anthropic`. */
  client?: Anthropic;
  readJobs?: JobReader;
}

export interface BatchPoller {
  readonly url: string;
  readonly port: number;
  readonly config: BatchPollerConfig;
  isReady(): boolean;
  stop(): Promise<void>;
}

function kafkaLogs(logger: Logger): logCreator {
  const log = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log: entry }) => {
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry;
      const line = { namespace, ...fields };
      if (level === logLevel.ERROR || level === logLevel.WARN) log.warn(line, message);
      else log.debug(line, message);
    };
}

/**
 * Starts batch-poller: HTTP probes first, then the batches view is restored (read from the
 * beginning up to its end) before any batch work; then the jobs consumer (packing), the
 * ownership group of pipeline.batches, the control consumer and the owner loop.
 */
export async function startBatchPoller(
  config: BatchPollerConfig,
  deps: BatchPollerDeps = {},
): Promise<BatchPoller> {
  const logger = deps.logger ?? createLogger({ service: 'batch-poller' });
  const clock = deps.clock ?? Date.now;
  const registry = deps.registry ?? createMetricsRegistry({ service: 'batch-poller' });
  const metrics = createBatchPollerMetrics(registry);
  const names = topicNames(config.kafka.topicPrefix);
  const topics = {
    jobs: names.jobs,
    batches: names.batches,
    control: names.batchesControl,
    status: names.status,
    results: names.results,
    dlq: names.dlq('batch-poller'),
  };
  const kafka =
    deps.kafka ?? createKafka({ settings: config.kafka, logCreator: kafkaLogs(logger) });
  const client =
    deps.client ??
    new Anthropic({
      apiKey: config.anthropic.apiKey,
      ...(config.anthropic.baseURL ? { baseURL: config.anthropic.baseURL } : {}),
      timeout: config.anthropic.timeoutMs,
      maxRetries: 3,
      // libs/telemetry's undici instrumentation writes `traceparent`; the SDK writing it too
      // would send two values, which breaks the link to the API's span (SDK docs: `propagation`).
      openTelemetry: { propagation: false },
    });

  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitForTopics(admin, Object.values(topics), { timeoutMs: 15_000 });
  } catch (error) {
    throw new BatchPollerConfigError(
      `topics not found (${Object.values(topics).join(', ')}): provision them with \`npm run topics\``,
      { cause: error },
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }

  let stopping = false;
  let controlKeeper: KeepRunning | undefined;

  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  const follower = createBatchesFollower({
    kafka,
    topic: topics.batches,
    groupIdPrefix: `${config.groupId}.view`,
    logger,
    clock,
    onRecord: (_partition, _key, value) => {
      if (value?.type === 'batch') owner.noteBatch(value);
    },
  });
  const ownership = createOwnership({
    kafka,
    topic: topics.batches,
    groupId: `${config.groupId}.owners`,
    sessionTimeoutMs: config.sessionTimeoutMs,
    logger,
    onChange: (owned) => {
      owner.ownershipChanged(owned);
      void owner.tick().catch(() => undefined);
    },
  });
  const heap = heapRelease();
  const packer = createPacker({
    heap,
    kafka,
    config,
    topics,
    client,
    producer,
    metrics,
    logger,
    clock,
  });
  const owner = createOwner({
    kafka,
    config,
    topics,
    client,
    follower,
    ownership,
    packer,
    readJobs:
      deps.readJobs ??
      kafkaJobReader({ kafka, topic: topics.jobs, groupIdPrefix: `${config.groupId}.read` }),
    metrics,
    logger,
    clock,
  });

  const readiness = () => {
    const ready = !stopping && follower.restored() && packer.running();
    return {
      ready,
      details: {
        restored: follower.restored(),
        packing: packer.running(),
        owned: [...ownership.owned()],
      },
    };
  };
  const renderMetrics = metricsHandler(registry);
  const http = await startHttpServer(
    {
      // Every consumer is started again after a crash (keepConsumerRunning): nothing here is
      // beyond repair by a restart of the process.
      healthy: () => true,
      readiness,
      metrics: async () => {
        const owned = ownership.owned();
        const open = follower.view
          .batches()
          .filter((b) => owned.has(b.partition) && follower.view.isChosen(b.batch.batch_id));
        metrics.openBatches.set(open.length);
        const oldest = Math.min(...open.map((b) => Date.parse(b.batch.created_at)));
        metrics.oldestOpenBatchAge.set(open.length === 0 ? 0 : (clock() - oldest) / 1000);
        metrics.pendingRequests.set(packer.pendingRequests());
        return renderMetrics();
      },
    },
    config.http,
  );

  let control: Consumer | undefined;
  let ticker: NodeJS.Timeout | undefined;
  try {
    await producer.connect();
    await follower.start();
    await follower.sync(120_000);
    // The restore decoded every open batch's intent (100,000 refs each at most): give its heap
    // pages back before the work starts (heap-pages.ts).
    const released = heap.release();
    if (released !== undefined) {
      logger.info({ ms: Math.round(released) }, 'heap pages of the restore released');
    }
    await ownership.start();
    control = kafka.consumer({
      // Every replica reads every control record: only the owner of the batch acts on it.
      groupId: `${config.groupId}.control.${randomUUID()}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
    });
    const c = control;
    const runControl = async () => {
      await c.connect();
      await c.subscribe({ topic: topics.control, fromBeginning: false });
      await c.run({
        eachMessage: async ({ message }) => {
          // A control record only says "poll this batch now": a malformed one falls back to its
          // key, and never stops the service (polling on the schedule covers a lost one).
          let body: unknown;
          try {
            body = message.value
              ? (JSON.parse(message.value.toString('utf8')) as unknown)
              : undefined;
          } catch {
            logger.warn({ topic: topics.control }, 'control record is not JSON; using its key');
          }
          const parsed = body === undefined ? undefined : safeParse(batchControlSchema, body);
          const batchId = parsed?.ok ? parsed.value.batch_id : message.key?.toString('utf8');
          if (batchId) owner.pollNow(batchId);
        },
      });
    };
    controlKeeper = await startKeptRunning(c, {
      start: runControl,
      stopping: () => stopping,
      ...restartLogging(logger, 'batches.control'),
    });
    await packer.start();
    ticker = setInterval(() => {
      owner.tick().catch((error: unknown) => logger.warn({ err: error }, 'owner pass failed'));
    }, config.polling.tickMs);
    ticker.unref();
  } catch (error) {
    await http.close();
    await Promise.all([
      follower.stop(),
      ownership.stop(),
      packer.stop(),
      control?.disconnect(),
    ]).catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    throw error;
  }

  logger.info(
    {
      url: http.url,
      groupId: config.groupId,
      maxRequests: config.packing.maxRequests,
      maxAge: formatDuration(config.packing.maxAgeMs),
      pollInterval: formatDuration(config.polling.intervalMs),
      anthropic: config.anthropic.baseURL ?? 'api.anthropic.com',
    },
    'batch-poller started',
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
        if (ticker) clearInterval(ticker);
        await packer.stop();
        controlKeeper?.dispose();
        await control?.disconnect().catch(() => undefined);
        await owner.stop();
        await ownership.stop();
        await follower.stop();
        await producer.disconnect().catch(() => undefined);
        await http.close();
        logger.info('batch-poller stopped');
      })();
      return stopped;
    },
  };
}
