import type { Logger } from '@claude-pipeline/telemetry';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ApiKeyAuthenticator } from '../auth/api-keys.ts';
import { registerDevRoutes } from '../dev/dev.routes.ts';
import type { EventPublisher } from '../events/event-publisher.ts';
import type { IngestMetrics } from '../metrics.ts';
import type { ReadinessProbe } from '../readiness.ts';
import type { CatchUpTracker } from '../status/catch-up.ts';
import type { RecentlyAccepted } from '../status/recently-accepted.ts';
import type { StatusView } from '../status/status-view.ts';
import type { StreamHub } from '../stream/stream-hub.ts';
import type { StreamTokenSigner } from '../stream/stream-token.ts';
import type { WebhookSource } from '../webhooks/webhook-source.ts';
import { registerHealthRoutes } from './health.routes.ts';
import { registerJobRoutes } from './jobs.routes.ts';
import { clientErrorHandler, installProblemHandlers } from './problems.ts';
import { registerStreamRoutes, type StreamSettings } from './stream.routes.ts';
import { registerWebhookRoutes } from './webhooks.routes.ts';

/** Everything the HTTP layer talks to, as ports: tests pass fakes, `startIngest` the real ones. */
export interface ServerDeps {
  logger: Logger;
  bodyLimitBytes: number;
  publicUrl: string | undefined;
  defaults: { maxTokens: number; taskClass: string };
  auth: ApiKeyAuthenticator;
  sources: ReadonlyMap<string, WebhookSource>;
  publisher: EventPublisher;
  view: StatusView;
  tracker: Pick<CatchUpTracker, 'caughtUp' | 'remaining'>;
  accepted: RecentlyAccepted;
  readiness: ReadinessProbe;
  metrics: IngestMetrics;
  /** Signs and checks stream URLs. */
  streamTokens: StreamTokenSigner;
  /** The live streams this replica's clients read. */
  streams: StreamHub;
  streamSettings: StreamSettings;
  /** Clock, ms since the epoch (received_at, accepted_at). */
  now: () => number;
  /** `INGEST_DEV_MODE`: also serve the local-development pages (`/dev/*`). */
  devMode?: boolean;
}

/**
 * `application/json` and `application/<anything>+json`, with or without parameters (fastify
 * tests a RegExp against the normalised header, parameters included).
 */
const JSON_TYPES = /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json(?:;|$)/i;

export function buildServer(deps: ServerDeps): FastifyInstance {
  const app = Fastify({
    // As fastify's base logger type, so the routes take a plain `FastifyInstance`.
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.bodyLimitBytes,
    // One line per rejected request (problems.ts) instead of two per request at 5,000/s, and
    // the root logger as each request's: a redacting child per request costs more than the work.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger) => logger,
    return503OnClosing: true,
    clientErrorHandler,
    forceCloseConnections: true,
  });

  // Bodies stay raw bytes: signatures are computed over exactly what was sent, and JSON is
  // parsed by the route after verification. Any other media type is a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'buffer' }, (_request, body, done) => {
    done(null, body);
  });

  installProblemHandlers(app);
  registerHealthRoutes(app, { readiness: deps.readiness, registry: deps.metrics.registry });
  registerJobRoutes(app, deps);
  registerStreamRoutes(app, deps);
  registerWebhookRoutes(app, deps);
  if (deps.devMode === true) registerDevRoutes(app);
  return app;
}
