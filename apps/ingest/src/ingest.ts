import { randomBytes } from 'node:crypto';
import {
  createBatchingProducer,
  renewableProducer,
  createKafka,
  kafkaLogCreator,
  topicNames,
  waitForTopics,
} from '@claude-pipeline/kafka';
import { createLogger, type Logger } from '@claude-pipeline/telemetry';
import type { FastifyInstance } from 'fastify';
import kafkajs, { type Admin } from 'kafkajs';
import type { Registry } from 'prom-client';
import { createApiKeyAuthenticator } from './auth/api-keys.ts';
import type { IngestConfig } from './config/env.config.ts';
import { IngestError } from './errors.ts';
import { createKafkaEventPublisher } from './events/event-publisher.ts';
import { buildServer } from './http/server.ts';
import { createIngestMetrics } from './metrics.ts';
import { createReadinessProbe } from './readiness.ts';
import { createCatchUpTracker } from './status/catch-up.ts';
import { createRecentlyAccepted } from './status/recently-accepted.ts';
import { startStatusConsumer, type StatusConsumer } from './status/status-consumer.ts';
import { createStatusView } from './status/status-view.ts';
import { createStreamHub, type StreamHub } from './stream/stream-hub.ts';
import { startStreamReader, type StreamReader } from './stream/stream-reader.ts';
import { createStreamTokenSigner } from './stream/stream-token.ts';
import { createWebhookSource } from './webhooks/webhook-source.ts';

export interface IngestDeps {
  logger?: Logger;
  /** Metrics registry (default: a new one labelled `service=ingest`). */
  registry?: Registry;
  /** Clock, ms since the epoch: signature tolerance, received_at. Default `Date.now`. */
  now?: () => number;
}

export interface Ingest {
  readonly app: FastifyInstance;
  /** Base URL the server listens on, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly port: number;
  /** Stops taking requests, flushes what Kafka has not acked yet, disconnects. Idempotent. */
  close(): Promise<void>;
}

/**
 * The producer retries without a limit (the idempotent producer's contract: a bounded retry
 * could reorder or lose records), but backs off at most 1 s, so it notices a broker that is back
 * within a second. Callers never wait on it longer than `publishTimeoutMs`.
 */
const PRODUCER_RETRY = {
  retries: Number.MAX_SAFE_INTEGER,
  initialRetryTime: 100, // ms
  maxRetryTime: 1_000, // ms
};

// kafkajs is CommonJS and builds its exports with a spread: take `Partitioners` from the default.
const { Partitioners } = kafkajs;

/** Longest wait for records still unacked at shutdown, ms. */
const SHUTDOWN_FLUSH_MS = 5_000;

/**
 * Starts ingest: checks the webhook sources, connects to Kafka, waits for its topics, starts the
 * status view and listens. Throws (after undoing what it started) if any of it fails.
 */
export async function startIngest(config: IngestConfig, deps: IngestDeps = {}): Promise<Ingest> {
  const logger = deps.logger ?? createLogger({ service: 'ingest' });
  const now = deps.now ?? Date.now;
  const metrics = createIngestMetrics(deps.registry);
  // Sources first: a bad secret fails the boot before anything connects.
  const sources = new Map(
    config.sources.map((source) => [source.name, createWebhookSource(source, { now })]),
  );
  const names = topicNames(config.kafka.topicPrefix);
  const topics = [names.events, names.status, names.stream];
  const kafka = createKafka({ settings: config.kafka, logCreator: kafkaLogCreator(logger) });

  if (config.stream.tokenSecretGenerated) {
    logger.warn(
      'dev mode: stream URLs are signed with a key generated at boot; other replicas and ' +
        'restarts reject them (set INGEST_STREAM_TOKEN_SECRETS)',
    );
  }
  const streamTokens = createStreamTokenSigner({
    secrets: config.stream.tokenSecrets,
    ttlMs: config.stream.tokenTtlMs,
    now,
  });

  const cleanups: (() => Promise<void>)[] = [];
  const undo = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => logger.warn({ err: error }, 'cleanup failed'));
    }
  };

  try {
    const admin: Admin = kafka.admin({ retry: { retries: 2, initialRetryTime: 100 } });
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    try {
      await waitForTopics(admin, topics, { timeoutMs: config.startupTimeoutMs });
    } catch (cause) {
      throw new IngestError(`topics not ready (run \`npm run topics\`): ${topics.join(', ')}`, {
        cause,
      });
    }

    const producer = renewableProducer(
      () =>
        kafka.producer({
          // The Java client's murmur2 partitioning, so any producer of pipeline.events agrees on
          // the partition of a key (dedupe's state is per partition).
          createPartitioner: Partitioners.DefaultPartitioner,
          idempotent: true,
          maxInFlightRequests: 1,
          retry: PRODUCER_RETRY,
        }),
      logger,
    );
    await producer.connect();
    const batching = createBatchingProducer({ producer: producer.current, renew: producer.renew });
    cleanups.push(async () => {
      await Promise.race([
        batching.flush(),
        new Promise((resolve) => setTimeout(resolve, SHUTDOWN_FLUSH_MS).unref()),
      ]);
      await producer.disconnect();
    });
    const publisher = createKafkaEventPublisher({
      producer: batching,
      topic: names.events,
      timeoutMs: config.publishTimeoutMs,
      maxPending: config.maxQueuedRecords,
      maxRecordBytes: config.maxRecordBytes,
      metrics,
      logger,
      now,
    });

    const view = createStatusView();
    const tracker = createCatchUpTracker();
    const groupId =
      config.statusGroupId ?? `${names.prefix}.ingest.status.${randomBytes(6).toString('hex')}`;
    const statusConsumer: StatusConsumer = await startStatusConsumer({
      kafka,
      admin,
      topic: names.status,
      groupId,
      view,
      tracker,
      metrics,
      logger,
    });
    cleanups.push(() => statusConsumer.stop());

    // The hub replays through the reader, and the reader feeds the hub: tie the knot late.
    const readerRef: { current?: StreamReader } = {};
    const streams: StreamHub = createStreamHub({
      replay: async (jobId, sinceMs) => {
        if (readerRef.current === undefined) throw new IngestError('stream reader not started');
        await readerRef.current.replay(jobId, sinceMs);
      },
      onInvalid: (jobId) => {
        metrics.recordsProcessed.inc({ topic: names.stream, outcome: 'invalid' });
        logger.warn({ topic: names.stream, job_id: jobId }, 'stream record ignored: invalid');
      },
    });
    const streamGroup =
      config.stream.groupId ?? `${names.prefix}.ingest.stream.${randomBytes(6).toString('hex')}`;
    const streamReader = await startStreamReader({
      kafka,
      admin,
      topic: names.stream,
      groupId: streamGroup,
      hub: streams,
      logger,
    });
    readerRef.current = streamReader;
    cleanups.push(() => streamReader.stop());

    const app = buildServer({
      logger,
      bodyLimitBytes: config.bodyLimitBytes,
      publicUrl: config.publicUrl,
      defaults: config.defaults,
      auth: createApiKeyAuthenticator(config.apiKeys),
      sources,
      publisher,
      view,
      tracker,
      accepted: createRecentlyAccepted({ ...config.acceptedCache, now }),
      readiness: createReadinessProbe({
        listTopics: () => admin.listTopics(),
        topics,
        tracker,
        consumerRunning: () => statusConsumer.running && streamReader.running,
        timeoutMs: config.readyTimeoutMs,
      }),
      metrics,
      streamTokens,
      streams,
      streamSettings: config.stream,
      now,
      devMode: config.devMode,
    });
    // Stop taking requests first, then flush and disconnect (cleanups run in reverse).
    cleanups.push(() => app.close());
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    logger.info(
      {
        port,
        sources: [...sources.keys()],
        topics,
        status_group: groupId,
        stream_group: streamGroup,
      },
      'ingest listening',
    );

    let closing: Promise<void> | undefined;
    return {
      app,
      port,
      url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
      close: () => (closing ??= undo()),
    };
  } catch (error) {
    await undo();
    throw error;
  }
}
