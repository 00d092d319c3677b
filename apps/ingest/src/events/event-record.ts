import { cloudEventHeaders, CORRELATION_ID } from '@claude-pipeline/kafka';
import {
  contracts,
  encode,
  SCHEMA_VERSION,
  type EventRecord,
  type JobMode,
  type JobRecord,
  type JobSubmission,
} from '@claude-pipeline/schemas';
import { eventKeyFor, jobIdFor } from '../ids.ts';
import type { RenderedJob } from '../webhooks/prompt-template.ts';

/** CloudEvents `ce_source` of every record ingest writes. */
export const CE_SOURCE = '/claude-pipeline/ingest';
/** `event_type` of API submissions (webhooks carry their source's event type). */
export const API_EVENT_TYPE = 'job.submitted';

export interface EventContext {
  tenant: string;
  /** Scoped (`api:<key>`, `<source>:<key>`): see ids.ts. */
  idempotencyKey: string;
  correlationId: string;
  receivedAt: Date;
}

/** A record ready for `pipeline.events`: validated value, key and headers. */
export interface PreparedEvent {
  readonly jobId: string;
  readonly tenant: string;
  readonly correlationId: string;
  readonly mode: JobMode;
  readonly key: string;
  readonly value: string;
  readonly headers: Record<string, string>;
}

type JobRequest = Omit<
  JobRecord,
  'schema_version' | 'job_id' | 'tenant' | 'correlation_id' | 'generation' | 'created_at'
>;

function envelope(
  context: EventContext,
  source: EventRecord['source'],
  eventType: string,
  request: JobRequest,
  eventId?: string,
): EventRecord {
  const receivedAt = context.receivedAt.toISOString();
  return {
    schema_version: SCHEMA_VERSION,
    tenant: context.tenant,
    idempotency_key: context.idempotencyKey,
    source,
    event_type: eventType,
    ...(eventId === undefined ? {} : { event_id: eventId }),
    received_at: receivedAt,
    job: {
      schema_version: SCHEMA_VERSION,
      job_id: jobIdFor(context.tenant, context.idempotencyKey),
      tenant: context.tenant,
      correlation_id: context.correlationId,
      generation: 1,
      ...request,
      created_at: receivedAt,
    },
  };
}

/** The event of a `POST /v1/jobs` submission, server defaults applied. */
export function apiEvent(
  submission: JobSubmission,
  context: EventContext,
  defaults: { maxTokens: number; taskClass: string },
): EventRecord {
  const { prompt, messages, model, task_class, max_tokens, mode, stream, callback_url, ...rest } =
    submission;
  const request: JobRequest = {
    ...rest,
    ...(model === undefined ? { task_class: task_class ?? defaults.taskClass } : { model }),
    messages: messages ?? [{ role: 'user', content: prompt ?? '' }],
    max_tokens: max_tokens ?? defaults.maxTokens,
    mode: mode ?? 'realtime',
    stream: stream ?? false,
    ...(callback_url === undefined ? {} : { callback: { url: callback_url } }),
  };
  return envelope(context, { kind: 'api', name: 'api' }, API_EVENT_TYPE, request);
}

/** The event of a verified webhook routed to a job template. */
export function webhookEvent(
  rendered: RenderedJob,
  context: EventContext & { source: string; eventType: string; deliveryId: string },
): EventRecord {
  const request: JobRequest = { ...rendered, stream: false };
  return envelope(
    context,
    { kind: 'webhook', name: context.source },
    context.eventType,
    request,
    context.deliveryId.slice(0, 255),
  );
}

/**
 * Validates and serialises the record (a `SchemaValidationError` names each bad field) and adds
 * the headers of ARCHITECTURE.md, "Message conventions": CloudEvents binary mode and
 * `correlation-id`. `traceparent` is added per record when it is queued (batching producer).
 */
export function prepareEvent(record: EventRecord, ceId: string): PreparedEvent {
  const value = encode(contracts.eventRecord, record);
  const type = contracts.eventRecord.ceType ?? 'claude-pipeline.event.accepted.v1';
  return {
    jobId: record.job.job_id,
    tenant: record.tenant,
    correlationId: record.job.correlation_id,
    mode: record.job.mode,
    key: eventKeyFor(record.tenant, record.idempotency_key),
    value,
    headers: {
      ...cloudEventHeaders({
        id: ceId,
        source: CE_SOURCE,
        type,
        time: new Date(record.received_at),
        subject: record.job.job_id,
      }),
      [CORRELATION_ID]: record.job.correlation_id,
    },
  };
}
