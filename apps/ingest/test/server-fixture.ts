/**
 * The HTTP layer with fakes behind its ports, for unit tests (fastify `inject`, no sockets).
 */
import { contracts, encode, type StreamRecord } from '@claude-pipeline/schemas';
import { createLogger } from '@claude-pipeline/telemetry';
import type { FastifyInstance } from 'fastify';
import { createApiKeyAuthenticator } from '../src/auth/api-keys.ts';
import type { ApiKeyConfig } from '../src/config/env.config.ts';
import { parseSources } from '../src/config/sources.config.ts';
import type { EventPublisher } from '../src/events/event-publisher.ts';
import type { PreparedEvent } from '../src/events/event-record.ts';
import { buildServer } from '../src/http/server.ts';
import type { StreamSettings } from '../src/http/stream.routes.ts';
import { createIngestMetrics, type IngestMetrics } from '../src/metrics.ts';
import type { ReadinessReport } from '../src/readiness.ts';
import { createCatchUpTracker, type CatchUpTracker } from '../src/status/catch-up.ts';
import { createRecentlyAccepted } from '../src/status/recently-accepted.ts';
import { createStatusView, type StatusView } from '../src/status/status-view.ts';
import { createStreamHub, type StreamHub } from '../src/stream/stream-hub.ts';
import { createStreamTokenSigner } from '../src/stream/stream-token.ts';
import { createWebhookSource } from '../src/webhooks/webhook-source.ts';

export const NOW = Date.parse('2026-03-01T12:00:00.000Z');

export const API_KEYS: ApiKeyConfig[] = [
  { tenant: 'acme', key: 'acme-key-0123456789abcdef' },
  { tenant: 'globex', key: 'globex-key-0123456789abcdef' },
];

/** The stream token key every test replica shares. */
export const STREAM_SECRET = 'stream-secret-for-tests-0123456789abcdef';

export const bearer = (tenant: 'acme' | 'globex'): string =>
  `Bearer ${API_KEYS.find((k) => k.tenant === tenant)!.key}`;

export interface FakePublisher extends EventPublisher {
  readonly events: PreparedEvent[];
  /** What the next publishes do; default: resolve (Kafka acked). */
  behaviour: (event: PreparedEvent) => Promise<void>;
}

export function fakePublisher(): FakePublisher {
  const events: PreparedEvent[] = [];
  const publisher: FakePublisher = {
    events,
    pending: 0,
    behaviour: async () => undefined,
    async publish(event) {
      await publisher.behaviour(event);
      events.push(event);
    },
  };
  return publisher;
}

export interface TestServer {
  app: FastifyInstance;
  publisher: FakePublisher;
  view: StatusView;
  tracker: CatchUpTracker;
  metrics: IngestMetrics;
  readiness: { report: ReadinessReport };
  /** The stream hub; its replays resolve at once (records come from `streams.deliver`). */
  streams: StreamHub;
  /** Jobs whose replay was asked for, with the since time. */
  replays: { jobId: string; sinceMs: number | undefined }[];
}

export interface TestServerOptions {
  /** Sources file content (JSON text). */
  sources?: unknown;
  env?: Record<string, string>;
  bodyLimitBytes?: number;
  publicUrl?: string;
  caughtUp?: boolean;
  /** Stream settings (defaults: heartbeat 15 s, replay wait 1 s, no limits that tests reach). */
  stream?: Partial<StreamSettings>;
  /** What a replay of a job reads from the topic (default: nothing). */
  history?: (jobId: string) => readonly StreamRecord[];
  /** The test clock (default: fixed at NOW). */
  now?: () => number;
}

export async function buildTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const publisher = fakePublisher();
  const view = createStatusView();
  const tracker = createCatchUpTracker();
  if (options.caughtUp ?? true) tracker.start([]);
  const metrics = createIngestMetrics();
  const readiness = {
    report: {
      ready: true,
      checks: { kafka: { ok: true }, topics: { ok: true }, status_view: { ok: true } },
    } as ReadinessReport,
  };
  const sourceConfigs =
    options.sources === undefined
      ? []
      : parseSources(JSON.stringify(options.sources), options.env ?? {}, 'test sources');
  const now = options.now ?? (() => NOW);
  const replays: TestServer['replays'] = [];
  const streams: StreamHub = createStreamHub({
    replay: async (jobId, sinceMs) => {
      replays.push({ jobId, sinceMs });
      for (const record of options.history?.(jobId) ?? []) {
        streams.deliver(Buffer.from(jobId), Buffer.from(encode(contracts.streamRecord, record)));
      }
    },
  });
  const app = buildServer({
    logger: createLogger({ service: 'ingest-test', level: 'silent' }),
    bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
    publicUrl: options.publicUrl,
    defaults: { maxTokens: 1024, taskClass: 'default' },
    auth: createApiKeyAuthenticator(API_KEYS),
    sources: new Map(
      sourceConfigs.map((config) => [config.name, createWebhookSource(config, { now: () => NOW })]),
    ),
    publisher,
    view,
    tracker,
    accepted: createRecentlyAccepted({ maxEntries: 100, ttlMs: 60_000, now: () => NOW }),
    readiness: async () => readiness.report,
    metrics,
    streamTokens: createStreamTokenSigner({ secrets: [STREAM_SECRET], ttlMs: 600_000, now }),
    streams,
    streamSettings: {
      heartbeatMs: 15_000,
      maxClients: 10_000,
      maxDurationMs: 600_000,
      replayWaitMs: 1_000,
      maxBufferedBytes: 1024 * 1024,
      ...options.stream,
    },
    now,
  });
  await app.ready();
  return { app, publisher, view, tracker, metrics, readiness, streams, replays };
}
