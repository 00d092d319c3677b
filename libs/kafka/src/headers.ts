import { DLQ_HEADERS, HEADERS, RETRY_HEADERS } from '@claude-pipeline/schemas';
import type { IHeaders } from 'kafkajs';

/**
 * Header names that cross service boundaries (ARCHITECTURE.md, "Message conventions").
 * CloudEvents Kafka protocol binding, binary mode: attributes are `ce_`-prefixed headers and
 * the record value is the event data.
 */
/**
 * Names shared with other teams live in `@claude-pipeline/schemas` (they are part of the
 * published contract); this file adds the runtime's own and the helpers.
 */
export const CE = {
  specversion: HEADERS.ceSpecVersion,
  id: HEADERS.ceId,
  source: HEADERS.ceSource,
  type: HEADERS.ceType,
  time: HEADERS.ceTime,
  subject: 'ce_subject',
  contentType: HEADERS.contentType,
} as const;

export const TRACEPARENT = HEADERS.traceparent;
export const TRACESTATE = HEADERS.tracestate;
export const CORRELATION_ID = HEADERS.correlationId;

/** Added to a record sent to a retry stage. */
export const RETRY = {
  /** Transient attempts spent (1 on the first retry; a throttled deferral spends none). */
  attempt: RETRY_HEADERS.attempt,
  /** Epoch ms before which the record must not be processed. */
  notBefore: RETRY_HEADERS.notBefore,
  stage: 'pipeline-retry-stage',
  originalTopic: RETRY_HEADERS.originalTopic,
  originalPartition: RETRY_HEADERS.originalPartition,
  originalOffset: RETRY_HEADERS.originalOffset,
  /** Epoch ms of the first failure. */
  firstFailureAt: RETRY_HEADERS.firstFailureTime,
} as const;

/** Added to a dead-lettered record. */
export const DLQ = {
  errorClass: DLQ_HEADERS.errorClass,
  errorMessage: DLQ_HEADERS.errorMessage,
  retriable: DLQ_HEADERS.errorRetriable,
  /** Where it died: `source` or `retry.<n>`. */
  stage: DLQ_HEADERS.errorStage,
  /** Epoch ms at which it was dead-lettered. */
  failedAt: 'pipeline-failed-at',
  /** Consumer group (service) that dead-lettered it. */
  service: 'pipeline-error-service',
} as const;

/**
 * On a dead letter whose value was cut to fit the DLQ topic's `max.message.bytes`: `true`,
 * and the original value's size in bytes. The headers and the error reason are kept whole.
 */
export const DLQ_TRUNCATED = 'pipeline-dlq-truncated';
export const DLQ_VALUE_BYTES = 'pipeline-dlq-value-bytes';

/** Raised by a DLQ redrive. */
export const GENERATION = 'pipeline-generation';
export const REDRIVEN_AT = 'pipeline-redriven-at';

/** Headers added by the retry chain and DLQ; removed again when a record is redriven. */
export const PIPELINE_CONTROL_HEADERS: readonly string[] = [
  ...Object.values(RETRY),
  ...Object.values(DLQ),
  DLQ_TRUNCATED,
  DLQ_VALUE_BYTES,
];

export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

/**
 * Headers of a record to produce: a header that repeats is an array (kafkajs writes one header
 * per item, in order, as it reads them back); values are strings or raw bytes.
 */
export type OutgoingHeaders = Record<string, Buffer | string | (Buffer | string)[]>;

/**
 * A consumed record's headers as they are, to produce again (a retry, a dead letter, a
 * redrive): a repeated header stays an array of its values in order (kafkajs writes one header
 * per item), raw bytes stay the same Buffer. Only absent (undefined) entries are dropped.
 */
export function copyHeaders(headers: IHeaders): OutgoingHeaders {
  const out: OutgoingHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? [...value] : value;
  }
  return out;
}

/** One header as a string (the last value if the header repeats), or undefined. */
export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const value: HeaderValue = headers?.[name];
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return last === undefined ? undefined : last.toString();
}

/** One header as a finite number, or undefined. */
export function headerNumber(headers: IHeaders | undefined, name: string): number | undefined {
  const text = headerString(headers, name);
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

export interface CloudEventAttributes {
  id: string;
  source: string;
  type: string;
  /** Defaults to now. */
  time?: Date;
  subject?: string;
  contentType?: string;
}

/** CloudEvents binary-mode headers (spec 1.0) for a record whose value is the event data. */
export function cloudEventHeaders(attrs: CloudEventAttributes): Record<string, string> {
  return {
    [CE.specversion]: '1.0',
    [CE.id]: attrs.id,
    [CE.source]: attrs.source,
    [CE.type]: attrs.type,
    [CE.time]: (attrs.time ?? new Date()).toISOString(),
    ...(attrs.subject === undefined ? {} : { [CE.subject]: attrs.subject }),
    [CE.contentType]: attrs.contentType ?? 'application/json',
  };
}

/** Reads the CloudEvents attributes back; undefined when a required one is missing. */
export function readCloudEvent(headers: IHeaders | undefined): CloudEventAttributes | undefined {
  const id = headerString(headers, CE.id);
  const source = headerString(headers, CE.source);
  const type = headerString(headers, CE.type);
  if (headerString(headers, CE.specversion) !== '1.0' || !id || !source || !type) return undefined;
  const time = headerString(headers, CE.time);
  const subject = headerString(headers, CE.subject);
  const contentType = headerString(headers, CE.contentType);
  return {
    id,
    source,
    type,
    ...(time ? { time: new Date(time) } : {}),
    ...(subject ? { subject } : {}),
    ...(contentType ? { contentType } : {}),
  };
}
