import type { FastifyInstance } from 'fastify';
import { performance } from 'node:perf_hooks';
import { ApiError, isApiError } from '../errors.ts';
import type { SimServices } from '../services.ts';
import { checkApiRequest } from './api-guard.ts';
import { sendApiError, toApiError } from './api-errors.ts';
import { createRequestContext, findContext, isAbortError } from './request-context.ts';

/**
 * What every request goes through: its context and `request-id`, the served-request stats, the
 * API's credential and version checks, timed JSON parsing, and errors in the API's shape.
 */
export function registerRequestHooks(app: FastifyInstance, services: SimServices): void {
  app.addHook('onRequest', async (request, reply) => {
    const ctx = createRequestContext(request, reply);
    reply.header('request-id', request.id);
    const routeConfig = request.routeOptions.config;
    // What the sim "served": API routes and unknown paths; not probes, metrics or admin calls.
    if (routeConfig.api === true || request.routeOptions.url === undefined) {
      services.stats.begin();
      services.metrics.inflight.inc();
      reply.raw.once('close', () => {
        const res = reply.raw;
        const status = ctx.status ?? (res.headersSent ? String(res.statusCode) : 'aborted');
        const addedLatencyMs = ctx.hung ? undefined : ctx.addedLatencyMs();
        const { processingMs, endpoint } = ctx;
        services.stats.end({ endpoint, model: ctx.model, status, processingMs, addedLatencyMs });
        const { metrics } = services;
        metrics.inflight.dec();
        metrics.requests.inc({ endpoint, model: ctx.model ?? '', status });
        metrics.processing.observe({ endpoint }, processingMs / 1000);
        if (addedLatencyMs !== undefined)
          metrics.addedLatency.observe({ endpoint }, addedLatencyMs / 1000);
      });
    }
    if (routeConfig.api === true) checkApiRequest(request, services.config.apiKeys);
  });

  // fastify's own JSON parser (prototype-poisoning checks included), timed as processing.
  const parseJson = app.getDefaultJsonParser('error', 'ignore');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const started = performance.now();
    parseJson(request, body as string, (error, value) => {
      const ctx = findContext(request);
      if (ctx !== undefined) ctx.processingMs += performance.now() - started;
      done(error, value);
    });
  });

  app.setErrorHandler((error, request, reply) => {
    const ctx = findContext(request);
    if (isAbortError(error) && ctx !== undefined) {
      // The client left during a simulated wait: nobody to answer.
      ctx.status = 'aborted';
      return reply.hijack();
    }
    const apiError = toApiError(error);
    if (!isApiError(error) && apiError.status >= 500) {
      request.log.error({ err: error }, 'unexpected error');
    }
    const model = ctx?.model;
    return sendApiError(
      reply,
      apiError,
      model === undefined ? {} : services.limiter.headers(model),
    );
  });
  app.setNotFoundHandler((_request, reply) => sendApiError(reply, new ApiError(404, 'Not Found')));
}
