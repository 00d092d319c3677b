import type { IHeaders } from 'kafkajs';
import { DLQ, headerNumber, headerString, RETRY } from '../headers.ts';
import type { BatchingProducer } from '../producer/batching-producer.ts';
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

  const stageOf = (record: ConsumedRecord): number => {
    const index = stageTopics.indexOf(record.topic);
    return index === -1 ? 0 : index + 1;
  };

  function copyHeaders(headers: IHeaders): Record<string, string | Buffer> {
    const out: Record<string, string | Buffer> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) continue;
      // kafkajs gives repeated headers as arrays; keep the last (we never repeat our own).
      const last = Array.isArray(value) ? value[value.length - 1] : value;
      if (last !== undefined) out[name] = last;
    }
    return out;
  }

  /**
   * The record's original headers plus where it first came from (its own coordinates on the
   * source topic, else those its retry headers carry), its attempts and first-failure time.
   */
  function failureHeaders(
    record: ConsumedRecord,
    attempts: number,
  ): Record<string, string | Buffer> {
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
    await producer.send({
      topic,
      key: record.key,
      value: record.value,
      headers: {
        ...failureHeaders(record, attempts),
        [RETRY.notBefore]: String(notBefore),
        [RETRY.stage]: String(stage),
      },
    });
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
    await producer.send({
      topic,
      key: record.key,
      value: record.value,
      headers: {
        ...failureHeaders(record, attempts),
        [DLQ.errorClass]: c.errorClass,
        [DLQ.errorMessage]: (c.message ?? '').slice(0, 1000),
        [DLQ.retriable]: String(c.errorClass !== 'invalid'),
        [DLQ.stage]: stage === 0 ? 'source' : `retry.${stage}`,
        [DLQ.failedAt]: String(now()),
        [DLQ.service]: service,
      },
    });
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
