import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { metricsHandler } from '@claude-pipeline/telemetry';
import type { ReadinessProbe } from '../readiness.ts';

/** `/healthz` (the process serves), `/readyz` (it can do its job), `/metrics` (Prometheus). */
export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { readiness: ReadinessProbe; registry: Registry },
): void {
  const metrics = metricsHandler(deps.registry);

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const report = await deps.readiness();
    return reply.code(report.ready ? 200 : 503).send({
      status: report.ready ? 'ready' : 'not_ready',
      checks: report.checks,
    });
  });

  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await metrics();
    return reply.type(contentType).send(body);
  });
}
