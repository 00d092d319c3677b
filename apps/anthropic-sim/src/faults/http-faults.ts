import type { FastifyReply } from 'fastify';
import { ApiError } from '../errors.ts';
import type { RequestContext } from '../http/request-context.ts';
import type { SimServices } from '../services.ts';
import type { FaultAction } from './fault.schema.ts';
import type { FaultContext } from './fault-injector.ts';

export type StreamFault = Extract<FaultAction, { type: 'stream_error' | 'stream_reset' }>;

export type FaultOutcome =
  /** Answer normally (a stream fault, if any, applies while streaming). */
  | { handled: false; streamFault: StreamFault | undefined }
  /** The connection was hung or reset: nothing more to do. */
  | { handled: true };

/** The error a fault rule answers with, headers included. */
export function faultError(action: Extract<FaultAction, { type: 'error' }>): ApiError {
  const headers: Record<string, string> = {};
  if (action.retry_after_s !== undefined) headers['retry-after'] = String(action.retry_after_s);
  if (action.retry_after_ms !== undefined)
    headers['retry-after-ms'] = String(action.retry_after_ms);
  if (action.should_retry !== undefined) headers['x-should-retry'] = String(action.should_retry);
  return new ApiError(action.status, action.message, {
    ...(action.error_type === undefined ? {} : { type: action.error_type }),
    headers,
  });
}

/**
 * Applies the configured latency, then the fault the injector picks for this request: throws the
 * error of an `error` fault, hangs or resets the connection, waits out a `delay`.
 */
export async function applyHttpFaults(
  services: SimServices,
  ctx: RequestContext,
  reply: FastifyReply,
  context: FaultContext,
): Promise<FaultOutcome> {
  await ctx.sleep(services.faults.sampleLatencyMs());
  const action = services.faults.decide(context);
  if (action === undefined) return { handled: false, streamFault: undefined };
  services.metrics.faults.inc({
    kind: action.type === 'error' ? `error_${action.status}` : action.type,
  });
  switch (action.type) {
    case 'error':
      throw faultError(action);
    case 'hang': {
      ctx.hung = true;
      ctx.status = 'hung';
      reply.hijack();
      // Until the client gives up (or the sim closes and drops every connection).
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      return { handled: true };
    }
    case 'reset':
      ctx.status = 'reset';
      reply.hijack();
      reply.request.raw.socket.destroy();
      return { handled: true };
    case 'delay':
      await ctx.sleep(action.ms);
      return { handled: false, streamFault: undefined };
    case 'stream_error':
    case 'stream_reset':
      return { handled: false, streamFault: action };
    case 'expire':
      return { handled: false, streamFault: undefined };
  }
}
