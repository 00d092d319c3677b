import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Per-request bookkeeping: the request id, the sim's own work on the request (processing time:
 * parsing, validating, planning, serializing) and what it waited on purpose (so the latency it
 * added beyond the simulated waits can be measured), and a signal aborted when the client leaves.
 */
export interface RequestContext {
  readonly requestId: string;
  readonly startedAt: number;
  /** Milliseconds of deliberate waiting (latency, time to first token, pacing). */
  waitedMs: number;
  /** Milliseconds of the sim's own synchronous work on this request. */
  processingMs: number;
  endpoint: string;
  /** A model the sim serves, once known (labels stats and rate-limit headers). */
  model: string | undefined;
  /** The request was left hanging on purpose: no overhead sample. */
  hung: boolean;
  /** Overrides the recorded status (e.g. `reset`). */
  status: string | undefined;
  readonly signal: AbortSignal;
  /** Waits `ms` (counted as deliberate), or rejects with an AbortError when the client leaves. */
  sleep(ms: number): Promise<void>;
  /** Runs `fn` (synchronous work) and counts its duration as processing time. */
  measure<T>(fn: () => T): T;
  /** Wall time so far minus the deliberate waits, milliseconds: processing plus queueing. */
  addedLatencyMs(): number;
}

const contexts = new WeakMap<IncomingMessage, RequestContext>();

export function createRequestContext(request: FastifyRequest, reply: FastifyReply): RequestContext {
  const controller = new AbortController();
  // `close` before the response finished: the client disconnected (or the sim reset it).
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  const startedAt = performance.now();
  const ctx: RequestContext = {
    requestId: request.id,
    startedAt,
    waitedMs: 0,
    processingMs: 0,
    endpoint: request.routeOptions.config.endpoint ?? 'unknown',
    model: undefined,
    hung: false,
    status: undefined,
    signal: controller.signal,
    async sleep(ms) {
      if (ms <= 0) return;
      ctx.waitedMs += ms;
      await delay(ms, undefined, { signal: controller.signal });
    },
    measure(fn) {
      const started = performance.now();
      try {
        return fn();
      } finally {
        ctx.processingMs += performance.now() - started;
      }
    },
    addedLatencyMs: () => Math.max(0, performance.now() - startedAt - ctx.waitedMs),
  };
  contexts.set(request.raw, ctx);
  return ctx;
}

/** The context, if the onRequest hook made one (it always has, unless it failed early). */
export const findContext = (request: FastifyRequest): RequestContext | undefined =>
  contexts.get(request.raw);

export function contextOf(request: FastifyRequest): RequestContext {
  const ctx = contexts.get(request.raw);
  if (ctx === undefined) throw new Error('request context missing: the onRequest hook did not run');
  return ctx;
}

export const isAbortError = (error: unknown): boolean =>
  error instanceof Error && error.name === 'AbortError';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Stats label of the route, e.g. `messages`, `batches.create`. */
    endpoint?: string;
    /** An Anthropic API route: authenticated, versioned, errors in the API's shape. */
    api?: boolean;
  }
}
