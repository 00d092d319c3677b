import { randomBytes } from 'node:crypto';
import type { Env } from '../cli.io.ts';

/**
 * Each request the CLI sends starts a trace of its own: a W3C `traceparent` with a fresh trace id
 * (sampled). ingest continues the caller's context, so the CLI knows the trace id of the job it
 * caused and can print a link to it in Jaeger without asking anyone.
 */
export interface TraceStart {
  traceId: string;
  traceparent: string;
}

export function newTrace(): TraceStart {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** Jaeger's UI: `--jaeger-url`, else PIPELINE_JAEGER_URL, else the local one of `npm start`. */
export function jaegerUrlFrom(env: Env, flag?: string): string {
  const base =
    flag ?? env['PIPELINE_JAEGER_URL'] ?? `http://127.0.0.1:${env['JAEGER_QUERY_PORT'] ?? '16686'}`;
  return base.replace(/\/+$/, '');
}

export const traceLink = (jaegerUrl: string, traceId: string): string =>
  `${jaegerUrl}/trace/${traceId}`;
