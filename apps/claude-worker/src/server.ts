import Fastify, { LogController } from 'fastify';
import { metricsHandler, type Logger } from '@claude-pipeline/telemetry';
import type { Registry } from 'prom-client';

/**
 * The worker's own HTTP: `/healthz` (the process answers), `/readyz` (consuming: joined its
 * group, not halted by an account error, not stopping) and Prometheus `/metrics`.
 */
export async function startServer(options: {
  host: string;
  port: number;
  registry: Registry;
  ready: () => boolean;
  logger: Logger;
}): Promise<{ close(): Promise<void>; url: string }> {
  const app = Fastify({
    loggerInstance: options.logger,
    // Probes and scrapes every few seconds: not worth a log line each.
    logController: new LogController({ disableRequestLogging: true }),
  });
  const metrics = metricsHandler(options.registry);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) =>
    options.ready()
      ? reply.send({ status: 'ready' })
      : reply.code(503).send({ status: 'not ready' }),
  );
  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await metrics();
    return reply.type(contentType).send(body);
  });
  const url = await app.listen({ host: options.host, port: options.port });
  return { url, close: () => app.close() };
}
