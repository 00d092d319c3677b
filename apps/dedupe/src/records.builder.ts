import {
  cloudEventHeaders,
  CORRELATION_ID,
  DLQ,
  headerString,
  RETRY,
  type OutgoingRecord,
} from '@claude-pipeline/kafka';
import { contracts, type StatusRecord } from '@claude-pipeline/schemas';
import type { IHeaders, Message } from 'kafkajs';
import type { InboundRecord, Verdict } from './dedupe.decider.ts';

/** `ce_source` of every record dedupe writes. */
export const CE_SOURCE = '/claude-pipeline/dedupe';

type Accepted = Extract<Verdict, { kind: 'accept' }>;

/** Longest error message kept in a DLQ header (characters). */
const MAX_ERROR_MESSAGE = 1000;

/**
 * The job on `pipeline.jobs` (key: job id): the job ingest built, byte-compatible JSON, with
 * CloudEvents headers. `ce_id` is `<job id>.<generation>`, like a callback's `webhook-id`.
 */
export function jobRecord(verdict: Accepted, topic: string, now: number): OutgoingRecord {
  const { job } = verdict.event;
  return {
    topic,
    key: job.job_id,
    value: JSON.stringify(verdict.rawJob),
    headers: {
      ...cloudEventHeaders({
        id: `${job.job_id}.${job.generation}`,
        source: CE_SOURCE,
        type: contracts.jobRecord.ceType ?? 'claude-pipeline.job.requested.v1',
        time: new Date(now),
        subject: job.job_id,
      }),
      [CORRELATION_ID]: job.correlation_id,
    },
  };
}

/** The `accepted` status of a new job on `pipeline.status` (key: job id). */
export function acceptedStatus(verdict: Accepted, topic: string, now: number): OutgoingRecord {
  const { job } = verdict.event;
  const status: StatusRecord = {
    schema_version: 1,
    job_id: job.job_id,
    tenant: job.tenant,
    correlation_id: job.correlation_id,
    generation: job.generation,
    state: 'accepted',
    mode: job.mode,
    has_callback: job.callback !== undefined,
    updated_at: new Date(now).toISOString(),
    attempts: [],
  };
  return {
    topic,
    key: job.job_id,
    value: JSON.stringify(status),
    headers: {
      ...cloudEventHeaders({
        id: `${job.job_id}.${job.generation}.accepted`,
        source: CE_SOURCE,
        type: contracts.statusRecord.ceType ?? 'claude-pipeline.job.status.v1',
        time: new Date(now),
        subject: job.job_id,
      }),
      [CORRELATION_ID]: job.correlation_id,
    },
  };
}

export interface SourceCoordinates {
  topic: string;
  partition: number;
}

/**
 * A poison record for `pipeline.dedupe.dlq`: original key, value and headers byte for byte, plus
 * the error headers the retry chain of `libs/kafka` writes (so `listDlq`/`redrive` read it alike).
 * No trace context is injected: the original `traceparent` is part of what is kept.
 */
export function deadLetter(
  record: InboundRecord,
  source: SourceCoordinates,
  reason: string,
  now: number,
): Message {
  const headers: IHeaders = record.headers ?? {};
  return {
    key: record.key,
    value: record.value,
    headers: {
      ...headers,
      [RETRY.originalTopic]: headerString(headers, RETRY.originalTopic) ?? source.topic,
      [RETRY.originalPartition]:
        headerString(headers, RETRY.originalPartition) ?? String(source.partition),
      [RETRY.originalOffset]: headerString(headers, RETRY.originalOffset) ?? record.offset,
      [RETRY.attempt]: '0',
      [RETRY.firstFailureAt]: headerString(headers, RETRY.firstFailureAt) ?? String(now),
      [DLQ.errorClass]: 'invalid',
      [DLQ.errorMessage]: reason.slice(0, MAX_ERROR_MESSAGE),
      [DLQ.retriable]: 'false',
      [DLQ.stage]: 'source',
      [DLQ.failedAt]: String(now),
      [DLQ.service]: 'dedupe',
    },
  };
}
