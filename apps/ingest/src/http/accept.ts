import { randomUUID } from 'node:crypto';
import { SpanKind, trace } from '@opentelemetry/api';
import {
  isSchemaValidationError,
  problemFromValidationError,
  type EventRecord,
} from '@claude-pipeline/schemas';
import {
  ATTR_PIPELINE_CORRELATION_ID,
  ATTR_PIPELINE_JOB_ID,
  ATTR_PIPELINE_JOB_MODE,
  ATTR_PIPELINE_TENANT,
  ATTR_PIPELINE_WEBHOOK_SOURCE,
  withSpan,
} from '@claude-pipeline/telemetry';
import type { FastifyRequest } from 'fastify';
import {
  isProblemError,
  isPublishUnavailableError,
  isRecordTooLargeError,
  ProblemError,
  type ProblemField,
} from '../errors.ts';
import type { EventPublisher } from '../events/event-publisher.ts';
import { prepareEvent, type PreparedEvent } from '../events/event-record.ts';
import type { IngestMetrics } from '../metrics.ts';
import type { RecentlyAccepted } from '../status/recently-accepted.ts';
import { traceParentOf } from './request-context.ts';

export interface AcceptDeps {
  publisher: EventPublisher;
  accepted: RecentlyAccepted;
  metrics: IngestMetrics;
  now: () => number;
}

/** Seconds a client should wait before retrying after a 503. */
export const RETRY_AFTER_SECONDS = 5;

const tracer = () => trace.getTracer('ingest');

/**
 * Validates the event, appends it to `pipeline.events` and returns once Kafka acked it: the
 * only path to a 2xx. Anything that stops it becomes a problem (422 invalid, 413 too large, 503
 * Kafka unavailable) and nothing is acknowledged.
 */
export async function acceptEvent(
  request: FastifyRequest,
  record: EventRecord,
  deps: AcceptDeps,
  sourceLabel: string,
): Promise<PreparedEvent> {
  let event: PreparedEvent;
  try {
    event = prepareEvent(record, randomUUID());
  } catch (error) {
    if (!isSchemaValidationError(error)) throw error;
    const problem = problemFromValidationError(error, { status: 422 });
    throw new ProblemError(422, {
      code: 'invalid_job',
      detail: problem.detail ?? 'The job built from this request is not valid.',
      ...(problem.errors === undefined ? {} : { errors: problem.errors as ProblemField[] }),
      cause: error,
    });
  }
  const attributes = {
    [ATTR_PIPELINE_JOB_ID]: event.jobId,
    [ATTR_PIPELINE_TENANT]: event.tenant,
    [ATTR_PIPELINE_CORRELATION_ID]: event.correlationId,
    [ATTR_PIPELINE_JOB_MODE]: event.mode,
    ...(record.source.kind === 'webhook' ? { [ATTR_PIPELINE_WEBHOOK_SOURCE]: sourceLabel } : {}),
  };
  try {
    await withSpan(
      tracer(),
      'ingest accept',
      { kind: SpanKind.INTERNAL, attributes, parent: traceParentOf(request) },
      () => deps.publisher.publish(event),
    );
  } catch (error) {
    if (isRecordTooLargeError(error)) {
      throw new ProblemError(413, {
        code: 'record_too_large',
        detail: error.message,
        cause: error,
      });
    }
    if (isPublishUnavailableError(error)) {
      request.log.warn({ err: error, job_id: event.jobId }, 'Kafka unavailable');
      throw new ProblemError(503, {
        code: 'kafka_unavailable',
        detail: 'The event could not be stored; nothing was accepted. Retry later.',
        headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
        cause: error,
      });
    }
    throw error;
  }
  deps.accepted.remember(event.jobId, {
    tenant: event.tenant,
    correlationId: event.correlationId,
    mode: event.mode,
    acceptedAt: new Date(deps.now()).toISOString(),
  });
  deps.metrics.events.inc({ source: sourceLabel, outcome: 'accepted' });
  request.log.debug(
    { job_id: event.jobId, correlation_id: event.correlationId, source: sourceLabel },
    'event accepted',
  );
  return event;
}

export const statusUrl = (publicUrl: string | undefined, jobId: string): string =>
  `${publicUrl ?? ''}/v1/jobs/${jobId}`;

/**
 * Runs a handler and counts its outcome under `source`: `rejected` for a 4xx problem,
 * `unavailable` for a 503 (accepted and ignored are counted where they happen).
 */
export async function countingOutcome<T>(
  metrics: IngestMetrics,
  source: string,
  handler: () => Promise<T>,
): Promise<T> {
  try {
    return await handler();
  } catch (error) {
    if (isProblemError(error)) {
      metrics.events.inc({ source, outcome: error.status === 503 ? 'unavailable' : 'rejected' });
    }
    throw error;
  }
}
