import { randomBytes } from 'node:crypto';
import {
  cloudEventHeaders,
  CORRELATION_ID,
  DLQ,
  headerString,
  RETRY,
  TRACEPARENT,
  TRACESTATE,
} from '@claude-pipeline/kafka';
import {
  contracts,
  type Attempt,
  type JobError,
  type ResultRecord,
  type StatusRecord,
} from '@claude-pipeline/schemas';
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Message as ApiMessage } from '@anthropic-ai/sdk/resources/messages';
import type { IHeaders, Message } from 'kafkajs';
import { batchCost } from './cost.ts';
import type { StoredJobRef } from './stored.ts';

/** `ce_source` of every record batch-poller writes. */
export const CE_SOURCE = '/claude-pipeline/batch-poller';

/** Longest error message kept in a DLQ header (characters). */
const MAX_ERROR_MESSAGE = 1000;

const tracer = trace.getTracer('batch-poller');

/**
 * Trace headers of a record about one job: a span that continues the job's OWN trace (its stored
 * trace context is the parent), never the context of the batch or of the poll that found it.
 * Without an OpenTelemetry SDK (no span is recorded) the record still continues the job's trace:
 * same trace id, a fresh span id.
 */
export function jobTraceHeaders(ref: StoredJobRef, spanName: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!ref.traceparent) return headers;
  const carrier: Record<string, string> = { traceparent: ref.traceparent };
  if (ref.tracestate) carrier['tracestate'] = ref.tracestate;
  const parent = propagation.extract(ROOT_CONTEXT, carrier);
  const span = tracer.startSpan(
    spanName,
    { attributes: { 'pipeline.job_id': ref.job_id } },
    parent,
  );
  propagation.inject(trace.setSpan(context.active(), span), headers);
  span.end();
  if (!headers[TRACEPARENT]) {
    const [version = '00', traceId = '', , flags = '01'] = ref.traceparent.split('-');
    headers[TRACEPARENT] = `${version}-${traceId}-${randomBytes(8).toString('hex')}-${flags}`;
    if (ref.tracestate) headers[TRACESTATE] = ref.tracestate;
  }
  return headers;
}

function envelope(ref: StoredJobRef) {
  return {
    schema_version: 1 as const,
    job_id: ref.job_id,
    tenant: ref.tenant,
    correlation_id: ref.correlation_id,
    generation: ref.generation,
    ...(ref.metadata ? { metadata: ref.metadata } : {}),
    ...(ref.callback ? { callback: ref.callback } : {}),
  };
}

function headersFor(
  ref: StoredJobRef,
  kind: 'result' | 'status',
  id: string,
  now: number,
  trace: Record<string, string>,
): Record<string, string> {
  const type =
    kind === 'result'
      ? (contracts.resultRecord.ceType ?? 'claude-pipeline.job.result.v1')
      : (contracts.statusRecord.ceType ?? 'claude-pipeline.job.status.v1');
  return {
    ...cloudEventHeaders({ id, source: CE_SOURCE, type, time: new Date(now), subject: ref.job_id }),
    [CORRELATION_ID]: ref.correlation_id,
    ...trace,
  };
}

export interface Emitted {
  result: Message;
  status: Message;
  /** Realtime price minus batch price, USD (0 for a failure). */
  savedUsd: number;
  costUsd: number;
  model: string | undefined;
}

/** A `succeeded` result and status for one result line. */
export function succeededRecords(
  ref: StoredJobRef,
  message: ApiMessage,
  batchId: string,
  now: number,
): Emitted {
  const usage = {
    input_tokens: message.usage.input_tokens,
    output_tokens: message.usage.output_tokens,
    cache_creation_input_tokens: message.usage.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: message.usage.cache_read_input_tokens ?? 0,
  };
  const { costUsd, savedUsd } = batchCost(message.model, usage);
  const completedAt = new Date(now).toISOString();
  const outcome = {
    status: 'succeeded' as const,
    content: message.content as unknown as Extract<
      ResultRecord,
      { status: 'succeeded' }
    >['content'],
    stop_reason: (message.stop_reason ?? 'end_turn') as Extract<
      ResultRecord,
      { status: 'succeeded' }
    >['stop_reason'],
    usage,
    model: message.model,
    tier: 'batch' as const,
    latency_ms: Math.max(0, now - Date.parse(ref.created_at)),
    attempts: ref.attempt,
    cost_estimate_usd: costUsd,
    completed_at: completedAt,
  };
  const result: ResultRecord = { ...envelope(ref), ...outcome };
  const attempt: Attempt = {
    kind: 'processing',
    number: ref.attempt,
    at: completedAt,
    outcome: 'succeeded',
    batch_id: batchId,
  };
  return {
    ...pair(ref, result, statusOf(ref, 'succeeded', now, [attempt], batchId, outcome), now),
    savedUsd,
    costUsd,
    model: message.model,
  };
}

/** A `failed` result and status. */
export function failedRecords(
  ref: StoredJobRef,
  error: JobError,
  batchId: string,
  now: number,
): Emitted {
  const completedAt = new Date(now).toISOString();
  const outcome = {
    status: 'failed' as const,
    error,
    attempts: ref.attempt,
    completed_at: completedAt,
  };
  const result: ResultRecord = { ...envelope(ref), ...outcome };
  const attempt: Attempt = {
    kind: 'processing',
    number: ref.attempt,
    at: completedAt,
    outcome: 'failed',
    error: {
      class: error.class,
      message: error.message.slice(0, 1024),
      ...(error.code ? { code: error.code } : {}),
    },
    batch_id: batchId,
  };
  return {
    ...pair(ref, result, statusOf(ref, 'failed', now, [attempt], batchId, outcome), now),
    savedUsd: 0,
    costUsd: 0,
    model: undefined,
  };
}

function pair(
  ref: StoredJobRef,
  result: ResultRecord,
  status: StatusRecord,
  now: number,
): { result: Message; status: Message } {
  const traceHeaders = jobTraceHeaders(ref, `batch-poller result ${result.status}`);
  return {
    result: {
      key: ref.job_id,
      value: JSON.stringify(result),
      headers: headersFor(ref, 'result', `${ref.job_id}.${ref.generation}`, now, traceHeaders),
    },
    status: {
      key: ref.job_id,
      value: JSON.stringify(status),
      headers: headersFor(
        ref,
        'status',
        `${ref.job_id}.${ref.generation}.${status.state}`,
        now,
        traceHeaders,
      ),
    },
  };
}

function statusOf(
  ref: StoredJobRef,
  state: StatusRecord['state'],
  now: number,
  attempts: Attempt[],
  batchId: string | undefined,
  result?: StatusRecord['result'],
): StatusRecord {
  return {
    schema_version: 1,
    job_id: ref.job_id,
    tenant: ref.tenant,
    correlation_id: ref.correlation_id,
    generation: ref.generation,
    state,
    mode: 'batch',
    has_callback: ref.callback !== undefined,
    updated_at: new Date(now).toISOString(),
    attempts,
    ...(batchId ? { batch_id: batchId } : {}),
    ...(result ? { result } : {}),
  };
}

/**
 * A `batched` status: the job is in a packing intent (`batchId` unknown yet), or packed again
 * after a transient failure (`retry` says which attempt failed and why).
 */
export function batchedStatus(
  ref: StoredJobRef,
  now: number,
  retry?: { error: JobError; failedAttempt: number; batchId: string },
): Message {
  const attempts: Attempt[] = retry
    ? [
        {
          kind: 'processing',
          number: retry.failedAttempt,
          at: new Date(now).toISOString(),
          outcome: 'retrying',
          error: {
            class: retry.error.class,
            message: retry.error.message.slice(0, 1024),
            ...(retry.error.code ? { code: retry.error.code } : {}),
          },
          batch_id: retry.batchId,
        },
      ]
    : [];
  const status = statusOf(ref, 'batched', now, attempts, undefined);
  return {
    key: ref.job_id,
    value: JSON.stringify(status),
    headers: headersFor(
      ref,
      'status',
      `${ref.job_id}.${ref.generation}.batched.${ref.attempt}`,
      now,
      jobTraceHeaders(ref, 'batch-poller batched'),
    ),
  };
}

/** The original job record, byte for byte, as read back from pipeline.jobs. */
export interface SourceRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  topic: string;
  partition: number;
  offset: string;
}

/**
 * A record for `pipeline.batch-poller.dlq`: original key, value and headers byte for byte, plus
 * the error headers of libs/kafka's retry chain (so `listDlq`/`redrive` read it alike).
 */
export function deadLetter(source: SourceRecord, error: JobError, now: number): Message {
  const headers = source.headers;
  return {
    key: source.key,
    value: source.value,
    headers: {
      ...headers,
      [RETRY.originalTopic]: headerString(headers, RETRY.originalTopic) ?? source.topic,
      [RETRY.originalPartition]:
        headerString(headers, RETRY.originalPartition) ?? String(source.partition),
      [RETRY.originalOffset]: headerString(headers, RETRY.originalOffset) ?? source.offset,
      [RETRY.attempt]: '0',
      [RETRY.firstFailureAt]: headerString(headers, RETRY.firstFailureAt) ?? String(now),
      [DLQ.errorClass]: error.class,
      [DLQ.errorMessage]: error.message.slice(0, MAX_ERROR_MESSAGE),
      [DLQ.retriable]: String(error.retriable),
      [DLQ.stage]: 'source',
      [DLQ.failedAt]: String(now),
      [DLQ.service]: 'batch-poller',
    },
  };
}
