import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import {
  createLogger,
  createMetricsRegistry,
  metricsHandler,
  type Logger,
} from '@claude-pipeline/telemetry';
import { registerAdminRoutes } from './admin/admin.route.ts';
import { createBatchNotifier, type BatchNotifier } from './batches/batch-notifier.ts';
import { createBatchStore } from './batches/batch-store.ts';
import { registerBatchRoutes } from './batches/batches.route.ts';
import { createSimClock, type SimClock } from './clock.ts';
import type { SimConfig } from './config.ts';
import { createFaultInjector } from './faults/fault-injector.ts';
import { registerRequestHooks } from './http/request-hooks.ts';
import { newRequestId } from './ids.ts';
import { createRateLimiter } from './limits/rate-limiter.ts';
import { registerMessageRoutes } from './messages/messages.route.ts';
import { createPromptCache } from './messages/prompt-cache.ts';
import { createSimMetrics } from './metrics.ts';
import { registerModelRoutes } from './models.route.ts';
import { createModelCatalog } from './models.ts';
import type { SimServices } from './services.ts';
import { createSimStats } from './stats/sim-stats.ts';

export interface SimOptions {
  config: SimConfig;
  logger?: Logger;
  /** Default: wall time (the admin API can advance it). */
  clock?: SimClock;
  /** Default: a registry of its own with Node process metrics. */
  registry?: Registry;
}

export interface Sim {
  readonly app: FastifyInstance;
  readonly services: SimServices;
  /** Listens on the configured host and port (0: any free port); resolves with the base URL. */
  listen(): Promise<string>;
  /** The base URL once listening, e.g. `http://127.0.0.1:4010`. */
  url(): string | undefined;
  /** Stops listening, drops open connections (hung ones too) and stops timers. */
  close(): Promise<void>;
}

/** The API's request size limit for Messages, bytes (32 MB). Batches allow 256 MB. */
export const MESSAGES_BODY_LIMIT_BYTES = 32 * 1024 * 1024;
/** Idle keep-alive connections are kept this long, milliseconds (longer than typical clients' 60 s). */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** Pending connections the kernel may queue, so bursts of thousands of clients are not refused. */
const LISTEN_BACKLOG = 4_096;

/** Builds the sim: services, routes and hooks. Nothing listens until `listen()`. */
export function createSim(options: SimOptions): Sim {
  const { config } = options;
  const logger = options.logger ?? createLogger({ service: 'anthropic-sim' });
  const clock = options.clock ?? createSimClock();
  const registry = options.registry ?? createMetricsRegistry({ service: 'anthropic-sim' });
  const eventLoopDelay = monitorEventLoopDelay({ resolution: 10 });
  eventLoopDelay.enable();
  let baseUrl: string | undefined;
  let closing = false;

  const notifier: BatchNotifier | undefined =
    config.batches.webhook === undefined
      ? undefined
      : createBatchNotifier({
          ...config.batches.webhook,
          logger: logger.child({ component: 'batch-notifier' }),
        });
  const generation = { current: config.generation };
  const faults = createFaultInjector({
    rules: config.faults,
    errorRates: config.errorRates,
    latency: config.latency,
    seed: config.seed,
  });
  const cache = createPromptCache({ clock, minTokens: config.cache.minTokens });
  const stats = createSimStats();
  const services: SimServices = {
    config,
    logger,
    clock,
    models: createModelCatalog(config.extraModels),
    limiter: createRateLimiter(config.rateLimits, clock),
    cache,
    faults,
    stats,
    metrics: createSimMetrics(registry),
    generation,
    batches: createBatchStore({
      clock,
      settings: config.batches,
      faults,
      cache,
      generation: () => generation.current,
      onEnded: (record) => {
        stats.batch('ended');
        const url = config.publicUrl ?? baseUrl ?? `http://${config.host}:${config.port}`;
        notifier?.notify(services.batches.view(record, url));
      },
    }),
  };

  const app = Fastify({
    // As fastify's base logger type, so the routes take a plain `FastifyInstance`.
    loggerInstance: logger as FastifyBaseLogger,
    // No per-request log lines: at thousands of requests a second they would cost more than the work.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MESSAGES_BODY_LIMIT_BYTES,
    forceCloseConnections: true,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: 0,
    genReqId: () => newRequestId(),
    // The root logger for every request: a child per request (with its redacting bindings) costs
    // more than the sim's whole answer, and the sim logs per request only on errors.
    childLoggerFactory: (logger) => logger,
    requestIdHeader: false,
  });

  registerRequestHooks(app, services);

  const metrics = metricsHandler(registry);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) =>
    closing || baseUrl === undefined
      ? reply.code(503).send({ status: 'not ready' })
      : { status: 'ready' },
  );
  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await metrics();
    return reply.type(contentType).send(body);
  });

  registerMessageRoutes(app, services);
  registerBatchRoutes(app, services);
  registerModelRoutes(app, services);
  if (config.adminEnabled) registerAdminRoutes(app, services, { eventLoopDelay });

  return {
    app,
    services,
    async listen() {
      await app.listen({ host: config.host, port: config.port, backlog: LISTEN_BACKLOG });
      const server = app.server;
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
      // Must exceed the keep-alive timeout, or Node may cut a connection a client is reusing.
      server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
      server.maxRequestsPerSocket = 0;
      const address = server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      baseUrl = `http://${host}:${address.port}`;
      logger.info({ url: baseUrl, admin: config.adminEnabled }, 'anthropic-sim listening');
      return baseUrl;
    },
    url: () => baseUrl,
    async close() {
      closing = true;
      notifier?.close();
      services.batches.close();
      eventLoopDelay.disable();
      await app.close();
    },
  };
}

/** Creates the sim and starts listening. */
export async function startSim(options: SimOptions): Promise<Sim> {
  const sim = createSim(options);
  await sim.listen();
  return sim;
}
