import type { IHeaders } from 'kafkajs';
import {
  copyHeaders,
  DLQ,
  DLQ_TRUNCATED,
  DLQ_VALUE_BYTES,
  headerNumber,
  headerString,
  RETRY,
  type OutgoingHeaders,
} from '../headers.ts';
import type { BatchingProducer } from '../producer/batching-producer.ts';
import { recordBytes } from '../producer/record-bytes.ts';
import type { ConsumedRecord, RecordHandler } from '../consumer/concurrent-consumer.ts';
import { ConsumerHaltError } from '../consumer/concurrent-consumer.ts';
import type { ConsumingService, TopicNames } from '../topics/names.ts';
import { stageCovering, stageDelay, type Classification, type RetryPolicy } from './policy.ts';

/**
 * The retry-topic chain around a record handler. A failing record is re-published, byte for
 * byte with retry headers added, to `<prefix>.<service>.retry.<n>`, whose consumer holds it
 * until `pipeline-not-before`; after the last stage (or at once, for invalid records) it goes
 * to `<prefix>.<service>.dlq` with error headers. The record counts as handled once that
 * produce is acked, so the source offset is committed only after the record is safe elsewhere.
 */
export interface RetryChainOptions {
  service: ConsumingService;
  names: TopicNames;
  policy: RetryPolicy;
  producer: BatchingProducer;
  handler: RecordHandler;
  /** Told about every routing decision (metrics, status records, logs). */
  onRouted?: (event: RoutedEvent) => void | Promise<void>;
  now?: () => number;
  random?: () => number;
  /**
   * Largest record (estimated bytes: key, value, headers) the retry and DLQ topics take.
   * Default 1,048,000: the broker's default `max.message.bytes` (1,048,588, which the catalog
   * keeps for them) less a record batch's header and the trace headers the producer adds. A record that would not fit a retry stage with its retry headers
   * goes to the DLQ; a dead letter that would not fit keeps its headers and reason and the
   * start of its value, marked `pipeline-dlq-truncated: true` with the original size.
   */
  maxRecordBytes?: number;
}

export interface RoutedEvent {
  record: ConsumedRecord;
  classification: Classification;
  /** Where it went: a retry topic or the DLQ. */
  destination: 'retry' | 'dlq';
  topic: string;
  /** Transient attempts spent so far (after this routing). */
  attempts: number;
  notBefore?: number;
}

export interface RetryChain {
  /** The handler to give the concurrent consumer. */
  handler: RecordHandler;
  /** Topics the service's consumer must subscribe to (source topics + every stage). */
  stageTopics: string[];
  /** Gate for the concurrent consumer's `notBefore` option. */
  notBefore: (message: { headers?: IHeaders }) => number | undefined;
}

export function createRetryChain(options: RetryChainOptions): RetryChain {
  const { service, names, policy, producer } = options;
  const now = options.now ?? Date.now;
  const stages = policy.stages;
  const stageTopics = stages.map((_, i) => names.retry(service, i + 1));
  const deferralLimit = policy.maxInProcessDeferralMs ?? 2000;
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;

  const stageOf = (record: ConsumedRecord): number => {
    const index = stageTopics.indexOf(record.topic);
    return index === -1 ? 0 : index + 1;
  };

  /**
   * The record's original headers plus where it first came from (its own coordinates on the
   * source topic, else those its retry headers carry), its attempts and first-failure time.
   */
  function failureHeaders(record: ConsumedRecord, attempts: number): OutgoingHeaders {
    return {
      ...copyHeaders(record.headers),
      [RETRY.originalTopic]: headerString(record.headers, RETRY.originalTopic) ?? record.topic,
      [RETRY.originalPartition]:
        headerString(record.headers, RETRY.originalPartition) ?? String(record.partition),
      [RETRY.originalOffset]: headerString(record.headers, RETRY.originalOffset) ?? record.offset,
      [RETRY.attempt]: String(attempts),
      [RETRY.firstFailureAt]: headerString(record.headers, RETRY.firstFailureAt) ?? String(now()),
    };
  }

  async function toStage(
    record: ConsumedRecord,
    stage: number,
    attempts: number,
    c: Classification,
  ) {
    const spec = stages[stage - 1];
    const topic = stageTopics[stage - 1];
    if (!spec || !topic) throw new Error(`no retry stage ${stage} (policy has ${stages.length})`);
    const notBefore = now() + stageDelay(spec, options.random);
    const headers = {
      ...failureHeaders(record, attempts),
      [RETRY.notBefore]: String(notBefore),
      [RETRY.stage]: String(stage),
    };
    const tooLarge = (bytes: number) =>
      toDlq(record, attempts, {
        ...c,
        message: `too large for retry stage ${stage} (${bytes} bytes with its retry headers): ${c.message ?? ''}`,
      });
    const bytes = recordBytes({ key: record.key, value: record.value, headers });
    if (bytes > maxRecordBytes) {
      await tooLarge(bytes);
      return;
    }
    try {
      await producer.send({ topic, key: record.key, value: record.value, headers });
    } catch (error) {
      if (!isTooLarge(error)) throw error;
      await tooLarge(bytes);
      return;
    }
    await options.onRouted?.({
      record,
      classification: c,
      destination: 'retry',
      topic,
      attempts,
      notBefore,
    });
  }

  async function toDlq(record: ConsumedRecord, attempts: number, c: Classification) {
    const stage = stageOf(record);
    const topic = names.dlq(service);
    const headers = {
      ...failureHeaders(record, attempts),
      [DLQ.errorClass]: c.errorClass,
      [DLQ.errorMessage]: (c.message ?? '').slice(0, 1000),
      [DLQ.retriable]: String(c.errorClass !== 'invalid'),
      [DLQ.stage]: stage === 0 ? 'source' : `retry.${stage}`,
      [DLQ.failedAt]: String(now()),
      [DLQ.service]: service,
    };
    const letter = fitDeadLetter(record.key, record.value, headers, maxRecordBytes);
    try {
      await producer.send({ topic, key: record.key, ...letter });
    } catch (error) {
      // The DLQ topic takes less than we assumed: keep the reason and the marker only.
      if (!isTooLarge(error) || record.value === null || record.value.length === 0) throw error;
      await producer.send({
        topic,
        key: record.key,
        ...fitDeadLetter(record.key, record.value, headers, 0),
      });
    }
    await options.onRouted?.({ record, classification: c, destination: 'dlq', topic, attempts });
  }

  async function handler(record: ConsumedRecord): Promise<void> {
    const spent = headerNumber(record.headers, RETRY.attempt) ?? 0;
    for (;;) {
      let c: Classification;
      try {
        await options.handler(record);
        return;
      } catch (error) {
        c = policy.classify(error);
      }
      switch (c.errorClass) {
        case 'account':
          throw new ConsumerHaltError(c.message ?? 'account error', { retriable: true });
        case 'invalid':
          await toDlq(record, spent, c);
          return;
        case 'throttled': {
          const wait = Math.max(0, c.retryAfterMs ?? 0);
          if (wait <= deferralLimit) {
            // A short wait: defer in process and try again, no attempt spent.
            await new Promise((resolve) => setTimeout(resolve, wait));
            continue;
          }
          if (stages.length === 0) {
            await toDlq(record, spent, c);
            return;
          }
          // A long wait: park it in the first stage whose delay covers it, no attempt spent.
          await toStage(record, stageCovering(stages, wait), spent, c);
          return;
        }
        case 'transient': {
          const attempts = spent + 1;
          if (attempts > stages.length) await toDlq(record, attempts, c);
          else await toStage(record, attempts, attempts, c);
          return;
        }
      }
    }
  }

  return {
    handler,
    stageTopics,
    notBefore: (message) => headerNumber(message.headers, RETRY.notBefore),
  };
}

/** See RetryChainOptions.maxRecordBytes. */
export const DEFAULT_MAX_RECORD_BYTES = 1_048_000;

const isTooLarge = (error: unknown): boolean => {
  const type =
    typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined;
  return type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE';
};

/**
 * A dead letter that fits `maxBytes`: the original value if it does, else its first bytes with
 * `pipeline-dlq-truncated: true` and the original size (the headers, the reason among them, are
 * kept whole). A dead letter must always be written: one that cannot be would stop its partition.
 */
export function fitDeadLetter(
  key: Buffer | string | null,
  value: Buffer | null,
  headers: OutgoingHeaders,
  maxBytes: number,
): { value: Buffer | null; headers: OutgoingHeaders } {
  if (value === null || recordBytes({ key, value, headers }) <= maxBytes) return { value, headers };
  const marked = {
    ...headers,
    [DLQ_TRUNCATED]: 'true',
    [DLQ_VALUE_BYTES]: String(value.length),
  };
  const room = Math.max(0, maxBytes - recordBytes({ key, value: null, headers: marked }));
  return { value: value.subarray(0, Math.min(room, value.length)), headers: marked };
}
