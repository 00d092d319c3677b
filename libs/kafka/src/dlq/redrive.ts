import { randomUUID } from 'node:crypto';
import { context } from '@opentelemetry/api';
import type { IHeaders, Kafka } from 'kafkajs';
import {
  copyHeaders,
  CORRELATION_ID,
  DLQ,
  DLQ_TRUNCATED,
  GENERATION,
  headerNumber,
  headerString,
  PIPELINE_CONTROL_HEADERS,
  REDRIVEN_AT,
  RETRY,
  type OutgoingHeaders,
} from '../headers.ts';
import type { BatchingProducer } from '../producer/batching-producer.ts';
import { extractTraceContext } from '../tracing.ts';

/**
 * Dead letters: list them with filters, and redrive the chosen ones to the topic they came
 * from, with their correlation id and trace context, attempts reset (the retry and DLQ headers
 * are removed) and the generation raised — so a later result supersedes the earlier `failed`.
 */
export interface DlqRecord {
  dlqTopic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  errorClass: string | undefined;
  errorMessage: string | undefined;
  /** Epoch ms it was dead-lettered. */
  failedAt: number | undefined;
  /** The topic it was first consumed from (its redrive destination). */
  sourceTopic: string | undefined;
  stage: string | undefined;
  correlationId: string | undefined;
  generation: number;
}

export interface DlqFilter {
  /** Dead-lettered at or after (epoch ms). */
  since?: number;
  /** Dead-lettered before (epoch ms). */
  until?: number;
  errorClass?: string;
  /** Original topic. */
  source?: string;
  /** Any predicate of yours. */
  where?: (record: DlqRecord) => boolean;
}

function toDlqRecord(
  dlqTopic: string,
  partition: number,
  message: { offset: string; key: Buffer | null; value: Buffer | null; headers?: IHeaders },
): DlqRecord {
  const headers = message.headers ?? {};
  return {
    dlqTopic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers,
    errorClass: headerString(headers, DLQ.errorClass),
    errorMessage: headerString(headers, DLQ.errorMessage),
    failedAt: headerNumber(headers, DLQ.failedAt),
    sourceTopic: headerString(headers, RETRY.originalTopic),
    stage: headerString(headers, DLQ.stage),
    correlationId: headerString(headers, CORRELATION_ID),
    generation: headerNumber(headers, GENERATION) ?? 0,
  };
}

export function matches(record: DlqRecord, filter: DlqFilter): boolean {
  if (filter.since !== undefined && (record.failedAt ?? 0) < filter.since) return false;
  if (filter.until !== undefined && (record.failedAt ?? 0) >= filter.until) return false;
  if (filter.errorClass !== undefined && record.errorClass !== filter.errorClass) return false;
  if (filter.source !== undefined && record.sourceTopic !== filter.source) return false;
  return filter.where ? filter.where(record) : true;
}

/**
 * Reads a DLQ topic from the beginning up to its end at the time of the call (every partition)
 * and returns the records matching `filter`. Uses a throwaway consumer group that commits
 * nothing and is deleted afterwards.
 */
export async function listDlq(
  kafka: Kafka,
  dlqTopic: string,
  filter: DlqFilter = {},
  { timeoutMs = 60_000 } = {},
): Promise<DlqRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `pipeline-dlq-reader-${randomUUID()}`;
  try {
    const ends = await admin.fetchTopicOffsets(dlqTopic);
    const remaining = new Map(
      ends.filter((p) => Number(p.high) > Number(p.low)).map((p) => [p.partition, Number(p.high)]),
    );
    const found: DlqRecord[] = [];
    if (remaining.size === 0) return found;
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: dlqTopic, fromBeginning: true });
      let finish: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (finish = resolve));
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const end = remaining.get(batch.partition);
          if (end === undefined) return;
          for (const message of batch.messages) {
            if (Number(message.offset) >= end) break;
            const record = toDlqRecord(dlqTopic, batch.partition, {
              ...message,
              key: message.key ?? null,
              value: message.value ?? null,
            });
            if (matches(record, filter)) found.push(record);
          }
          // The last offset of a partition may be a transaction marker: the batch end says where we are.
          if (Number(batch.lastOffset()) + 1 >= end) remaining.delete(batch.partition);
          if (remaining.size === 0) finish();
        },
      });
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          done,
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`reading ${dlqTopic} timed out after ${timeoutMs} ms`)),
              timeoutMs,
            );
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    } finally {
      await consumer.disconnect();
    }
    return found.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

export interface RedriveOptions {
  producer: BatchingProducer;
  /** Rewrites the value on its way back (e.g. raise the generation inside a JSON body). */
  transformValue?: (record: DlqRecord, nextGeneration: number) => Buffer | string | null;
  now?: () => number;
}

export interface RedriveResult {
  redriven: number;
  /**
   * Records without a source topic header, or whose value was truncated to fit the DLQ
   * (`pipeline-dlq-truncated`), cannot be redriven.
   */
  skipped: DlqRecord[];
  byTopic: Record<string, number>;
}

/** Sends each record back to its source topic: original key and headers minus retry/DLQ ones. */
export async function redrive(
  records: readonly DlqRecord[],
  options: RedriveOptions,
): Promise<RedriveResult> {
  const now = options.now ?? Date.now;
  const result: RedriveResult = { redriven: 0, skipped: [], byTopic: {} };
  const control = new Set(PIPELINE_CONTROL_HEADERS);
  await Promise.all(
    records.map(async (record) => {
      if (!record.sourceTopic || headerString(record.headers, DLQ_TRUNCATED) === 'true') {
        result.skipped.push(record);
        return;
      }
      // Original headers as they are (repeated ones and raw bytes included), minus ours.
      const headers: OutgoingHeaders = Object.fromEntries(
        Object.entries(copyHeaders(record.headers)).filter(([name]) => !control.has(name)),
      );
      const generation = record.generation + 1;
      headers[GENERATION] = String(generation);
      headers[REDRIVEN_AT] = String(now());
      const value = options.transformValue
        ? options.transformValue(record, generation)
        : record.value;
      const topic = record.sourceTopic;
      // Sent from within the record's own trace, so the redriven job continues it.
      await context.with(extractTraceContext(record.headers), () =>
        options.producer.send({ topic, key: record.key, value, headers }),
      );
      result.redriven += 1;
      result.byTopic[record.sourceTopic] = (result.byTopic[record.sourceTopic] ?? 0) + 1;
    }),
  );
  return result;
}
