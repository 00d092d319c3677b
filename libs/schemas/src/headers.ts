import { z } from 'zod';
import { CORRELATION_ID_PATTERN, ERROR_CLASSES, TRACEPARENT_PATTERN } from './common.ts';

/**
 * Kafka header names of the pipeline. Values are UTF-8 strings: numbers in decimal, booleans as
 * `true`/`false`, the pipeline's own times in epoch milliseconds (`ce_time` is RFC 3339, as
 * CloudEvents wants). Contracts: ARCHITECTURE.md, "Message conventions".
 */

/** CloudEvents Kafka protocol binding, binary content mode, plus trace and correlation. */
export const HEADERS = {
  ceSpecVersion: 'ce_specversion',
  ceId: 'ce_id',
  ceSource: 'ce_source',
  ceType: 'ce_type',
  ceTime: 'ce_time',
  contentType: 'content-type',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  correlationId: 'correlation-id',
} as const;

export const CE_SPEC_VERSION = '1.0';
export const JSON_CONTENT_TYPE = 'application/json';

/** Added to a record sent to a retry stage; the original headers are kept as they were. */
export const RETRY_HEADERS = {
  attempt: 'pipeline-retry-attempt',
  notBefore: 'pipeline-retry-not-before',
  originalTopic: 'pipeline-original-topic',
  originalPartition: 'pipeline-original-partition',
  originalOffset: 'pipeline-original-offset',
  firstFailureTime: 'pipeline-first-failure-time',
} as const;

/** Added to a dead letter; the original key, value and headers are kept byte for byte. */
export const DLQ_HEADERS = {
  errorClass: 'pipeline-error-class',
  errorMessage: 'pipeline-error-message',
  errorRetriable: 'pipeline-error-retriable',
  errorStage: 'pipeline-error-stage',
  originalTopic: RETRY_HEADERS.originalTopic,
  originalPartition: RETRY_HEADERS.originalPartition,
  originalOffset: RETRY_HEADERS.originalOffset,
} as const;

const decimal = z.string().regex(/^(0|[1-9][0-9]*)$/);

/** The headers every record value carries, for a given CloudEvents type. */
export function cloudEventHeadersSchema(ceType: string) {
  return z.object({
    [HEADERS.ceSpecVersion]: z.literal(CE_SPEC_VERSION),
    [HEADERS.ceId]: z
      .string()
      .min(1)
      .describe('Unique per event; kept across retries and redrives.'),
    [HEADERS.ceSource]: z
      .string()
      .min(1)
      .describe('Producing service, e.g. `/claude-pipeline/claude-worker`.'),
    [HEADERS.ceType]: z.literal(ceType),
    [HEADERS.ceTime]: z.iso.datetime().optional(),
    [HEADERS.contentType]: z.literal(JSON_CONTENT_TYPE),
    [HEADERS.traceparent]: z
      .string()
      .regex(TRACEPARENT_PATTERN)
      .optional()
      .describe('W3C trace context of this job.'),
    [HEADERS.tracestate]: z.string().optional(),
    [HEADERS.correlationId]: z
      .string()
      .regex(CORRELATION_ID_PATTERN)
      .describe('Survives retries, batches and redrives.'),
  });
}

export const retryHeadersSchema = z.object({
  [RETRY_HEADERS.attempt]: decimal.describe('Retry attempt, 1 for the first retry.'),
  [RETRY_HEADERS.notBefore]: decimal.describe('Not to be processed before this time (epoch ms).'),
  [RETRY_HEADERS.originalTopic]: z.string().min(1),
  [RETRY_HEADERS.originalPartition]: decimal,
  [RETRY_HEADERS.originalOffset]: decimal,
  [RETRY_HEADERS.firstFailureTime]: decimal.describe('First failure of this record (epoch ms).'),
});

export const dlqHeadersSchema = z.object({
  [DLQ_HEADERS.errorClass]: z.enum(ERROR_CLASSES),
  [DLQ_HEADERS.errorMessage]: z.string(),
  [DLQ_HEADERS.errorRetriable]: z.enum(['true', 'false']),
  [DLQ_HEADERS.errorStage]: z
    .string()
    .min(1)
    .describe('Where it died, e.g. `claude-worker.retry.3`.'),
  [DLQ_HEADERS.originalTopic]: z.string().min(1),
  [DLQ_HEADERS.originalPartition]: decimal,
  [DLQ_HEADERS.originalOffset]: decimal,
});
