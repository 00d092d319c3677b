import type { IHeaders } from 'kafkajs';

/**
 * Header names that cross service boundaries (ARCHITECTURE.md, "Message conventions").
 * CloudEvents Kafka protocol binding, binary mode: attributes are `ce_`-prefixed headers and
 * the record value is the event data.
 */
export const CE = {
  specversion: 'ce_specversion',
  id: 'ce_id',
  source: 'ce_source',
  type: 'ce_type',
  time: 'ce_time',
  subject: 'ce_subject',
  contentType: 'content-type',
} as const;

export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';
export const CORRELATION_ID = 'correlation-id';

/** Added to a record sent to a retry stage. */
export const RETRY = {
  attempt: 'pipeline-attempt',
  /** Epoch ms before which the record must not be processed. */
  notBefore: 'pipeline-not-before',
  stage: 'pipeline-retry-stage',
  originalTopic: 'pipeline-original-topic',
  originalPartition: 'pipeline-original-partition',
  originalOffset: 'pipeline-original-offset',
  /** Epoch ms of the first failure. */
  firstFailureAt: 'pipeline-first-failure-at',
} as const;

/** Added to a dead-lettered record. */
export const DLQ = {
  errorClass: 'pipeline-error-class',
  errorMessage: 'pipeline-error-message',
  retriable: 'pipeline-error-retriable',
  /** Where it died: `source` or `retry.<n>`. */
  stage: 'pipeline-error-stage',
  /** Epoch ms at which it was dead-lettered. */
  failedAt: 'pipeline-failed-at',
  /** Consumer group (service) that dead-lettered it. */
  service: 'pipeline-error-service',
} as const;

/** Raised by a DLQ redrive. */
export const GENERATION = 'pipeline-generation';
export const REDRIVEN_AT = 'pipeline-redriven-at';

/** Headers added by the retry chain and DLQ; removed again when a record is redriven. */
export const PIPELINE_CONTROL_HEADERS: readonly string[] = [
  ...Object.values(RETRY),
  ...Object.values(DLQ),
];

export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

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
