import {
  context,
  propagation,
  ROOT_CONTEXT,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';
import type { OutgoingHeaders } from './headers.ts';

/**
 * W3C trace context in Kafka headers. Injection happens when a record is QUEUED (with the
 * caller's active context), never once per produce request: a batched or transactional send
 * carries records of many traces, and each record must continue its own.
 */
const setter: TextMapSetter<OutgoingHeaders> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

const getter: TextMapGetter<IHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.map((v) => v.toString()) : value.toString();
  },
};

/** Adds `traceparent`/`tracestate` of `ctx` (default: the active context) to `headers`. */
export function injectTraceContext(
  headers: OutgoingHeaders,
  ctx: Context = context.active(),
): OutgoingHeaders {
  propagation.inject(ctx, headers, setter);
  return headers;
}

/** The context a record's headers carry (a root context if they carry none). */
export function extractTraceContext(headers: IHeaders | undefined): Context {
  return headers ? propagation.extract(ROOT_CONTEXT, headers, getter) : ROOT_CONTEXT;
}
