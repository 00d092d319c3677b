import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Message, Producer, RecordMetadata } from 'kafkajs';
import { PipelineKafkaError } from '../errors.ts';
import type { OutgoingHeaders } from '../headers.ts';
import { injectTraceContext } from '../tracing.ts';
import { recordBytes } from './record-bytes.ts';

/**
 * A producer that coalesces concurrent sends. kafkajs has no `linger.ms`, so N concurrent
 * `send()` calls would be N produce requests; here they wait up to `lingerMs` (or until
 * `maxBatchRecords` are queued) and go out as one `sendBatch` request (acks=all on an
 * idempotent producer). Each caller's promise settles when its own record is acked, and each
 * record carries the trace context of the caller that queued it.
 */
export interface BatchingProducerOptions {
  /** A connected kafkajs producer, created with `idempotent: true`. */
  producer: Producer;
  /** How long the first queued record waits for company (ms). Default 2 ms. */
  lingerMs?: number;
  /** Flush as soon as this many records are queued. Default 1000. */
  maxBatchRecords?: number;
  /** Produce requests in flight at once. Default 1 (keeps per-partition order simple). */
  maxInFlightBatches?: number;
  /**
   * Estimated bytes of records (keys, values, headers) per produce request. Default 1,000,000:
   * under the broker's default `max.message.bytes` (1,048,588), so no partition's record batch
   * of one request can be rejected as too large. A larger record goes alone.
   */
  maxRequestBytes?: number;
  /**
   * A record at least this large (estimated bytes) goes in a produce request of its own, so if
   * the broker rejects it (too large for its topic), no other partition shared the request.
   * Default 256 KiB.
   */
  isolateRecordBytes?: number;
  /**
   * Replaces the kafkajs producer when its idempotence state can no longer be trusted: after a
   * request spanning several records failed for one of them (kafkajs then rolls back the
   * sequence numbers of every partition in it, also of those the broker appended) or after
   * OUT_OF_ORDER_SEQUENCE_NUMBER / UNKNOWN_PRODUCER_ID / INVALID_PRODUCER_EPOCH. Return a new
   * connected idempotent producer (and dispose of the old one). Without it, such a producer
   * keeps failing every later send to those partitions, or the broker takes a later batch for a
   * duplicate and drops it.
   */
  renew?: (broken: Producer) => Promise<Producer>;
}

export interface OutgoingRecord {
  topic: string;
  key?: string | Buffer | null;
  value: string | Buffer | null;
  /** A repeated header is an array; Buffer values are sent as they are. */
  headers?: OutgoingHeaders;
  partition?: number;
}

interface Queued {
  record: OutgoingRecord;
  message: Message;
  /** Estimated bytes on the wire (key, value, headers). */
  bytes: number;
  resolve: (meta: RecordMetadata) => void;
  reject: (error: unknown) => void;
}

export interface BatchingProducer {
  /** Queues one record; resolves when the broker acked it (acks=all). */
  send(record: OutgoingRecord): Promise<RecordMetadata>;
  /** Sends whatever is queued now and waits for every outstanding batch. */
  flush(): Promise<void>;
  /** Records queued but not yet sent. */
  readonly queued: number;
  /**
   * Times the kafkajs producer was replaced through `renew` (optional, so wrappers of this
   * interface written before it need not pass it on).
   */
  readonly renewals?: number;
}

const tracer = () => trace.getTracer('@claude-pipeline/kafka');

export function createBatchingProducer(options: BatchingProducerOptions): BatchingProducer {
  let producer = options.producer;
  const lingerMs = options.lingerMs ?? 2;
  const maxBatch = options.maxBatchRecords ?? 1000;
  const maxInFlight = options.maxInFlightBatches ?? 1;
  const maxBytes = options.maxRequestBytes ?? 1_000_000;
  const isolateBytes = options.isolateRecordBytes ?? 256 * 1024;
  if (lingerMs < 0 || maxBatch < 1 || maxInFlight < 1 || maxBytes < 1 || isolateBytes < 1) {
    throw new PipelineKafkaError(
      'batching producer: lingerMs >= 0, maxBatchRecords >= 1, maxInFlightBatches >= 1, ' +
        'maxRequestBytes >= 1, isolateRecordBytes >= 1',
    );
  }
  let renewals = 0;
  let renewing: Promise<void> | undefined;

  /** Swaps the producer once, however many failed requests ask at the same time. */
  function renew(): Promise<void> {
    const replace = options.renew;
    if (!replace) return Promise.resolve();
    renewing ??= replace(producer)
      .then((fresh) => {
        producer = fresh;
        renewals += 1;
      })
      .finally(() => {
        renewing = undefined;
      });
    return renewing;
  }

  /** The next request: up to maxBatch records and maxBytes; a large record alone. */
  function takeBatch(): Queued[] {
    let end = 0;
    let bytes = 0;
    while (end < queue.length && end < maxBatch) {
      const q = queue[end];
      if (!q) break;
      const large = q.bytes >= isolateBytes;
      if (end > 0 && (large || bytes + q.bytes > maxBytes)) break;
      bytes += q.bytes;
      end += 1;
      if (large) break;
    }
    const batch = queue.slice(0, end);
    queue = queue.slice(end);
    return batch;
  }

  let queue: Queued[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inFlight = 0;
  const outstanding = new Set<Promise<void>>();

  const schedule = () => {
    if (queue.length >= maxBatch) {
      void flushSome();
    } else if (!timer && queue.length > 0) {
      timer = setTimeout(() => {
        timer = undefined;
        void flushSome();
      }, lingerMs);
    }
  };

  async function flushSome(): Promise<void> {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    while (queue.length > 0 && inFlight < maxInFlight) {
      const batch = takeBatch();
      inFlight += 1;
      const p = sendBatch(batch).finally(() => {
        inFlight -= 1;
        outstanding.delete(p);
        if (queue.length > 0) schedule();
      });
      outstanding.add(p);
    }
  }

  async function sendBatch(batch: Queued[], renewed = false): Promise<void> {
    if (renewing) await renewing.catch(() => undefined);
    const byTopic = new Map<string, Queued[]>();
    for (const q of batch) {
      const list = byTopic.get(q.record.topic) ?? [];
      list.push(q);
      byTopic.set(q.record.topic, list);
    }
    try {
      const metadata = await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic,
          messages: list.map((q) => q.message),
        })),
      });
      // sendBatch answers per topic-partition (base offset); a record's own offset is not
      // reported by kafkajs, so each caller gets its partition's metadata.
      for (const q of batch) {
        const partition = q.message.partition;
        const meta =
          metadata.find(
            (m) =>
              m.topicName === q.record.topic &&
              (partition === undefined || m.partition === partition),
          ) ?? metadata.find((m) => m.topicName === q.record.topic);
        q.resolve(meta ?? { topicName: q.record.topic, partition: partition ?? -1, errorCode: 0 });
      }
    } catch (error) {
      const recordSpecific = isRecordSpecific(error);
      const sequence = isSequenceError(error);
      // A request of several records may have spanned partitions the broker appended while it
      // rejected another: kafkajs rolled their sequence numbers back all the same. A request of
      // one record touched one partition only, and its rollback is right.
      if (options.renew && !renewed && (sequence || (recordSpecific && batch.length > 1))) {
        try {
          await renew();
        } catch (renewError) {
          for (const q of batch) q.reject(renewError);
          return;
        }
        if (!recordSpecific) {
          // Sequence trouble: the same request once more, from a fresh producer id.
          await sendBatch(batch, true);
          return;
        }
      }
      if (batch.length > 1 && recordSpecific) {
        // One bad record (too large, invalid) must not fail its neighbours: send them one by
        // one, in order, so the error reaches only its own caller.
        for (const q of batch) await sendBatch([q], renewed);
        return;
      }
      for (const q of batch) q.reject(error);
    }
  }

  return {
    get queued() {
      return queue.length;
    },
    get renewals() {
      return renewals;
    },
    send(record) {
      const { message, end } = tracedMessage(record);
      return new Promise<RecordMetadata>((resolve, reject) => {
        queue.push({
          record,
          message,
          bytes: recordBytes(message),
          resolve: (meta) => {
            end();
            resolve(meta);
          },
          reject: (error) => {
            end(error);
            reject(error);
          },
        });
        schedule();
      });
    },
    async flush() {
      await flushSome();
      while (outstanding.size > 0 || queue.length > 0) {
        await Promise.allSettled([...outstanding]);
        await flushSome();
      }
    },
  };
}

const RECORD_SPECIFIC = new Set([
  'MESSAGE_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'RECORD_LIST_TOO_LARGE',
]);

const errorType = (error: unknown): unknown =>
  typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined;

function isRecordSpecific(error: unknown): boolean {
  const type = errorType(error);
  return typeof type === 'string' && RECORD_SPECIFIC.has(type);
}

/** The producer's idempotence state and the broker's disagree: only a new producer id helps. */
const SEQUENCE = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'DUPLICATE_SEQUENCE_NUMBER',
]);

export function isSequenceError(error: unknown): boolean {
  const type = errorType(error);
  return typeof type === 'string' && SEQUENCE.has(type);
}

export interface TracedMessage {
  message: Message;
  /** Ends the record's PRODUCER span (with the error, if the send failed). */
  end(error?: unknown): void;
}

/**
 * A kafkajs message for `record` that carries the trace context of the CALLER: a PRODUCER span
 * is started as a child of the active context now, and its context goes into the headers. Use
 * it for every record that shares a request or a transaction with records of other traces.
 */
export function tracedMessage(record: OutgoingRecord): TracedMessage {
  const span = tracer().startSpan(
    `${record.topic} publish`,
    {
      kind: SpanKind.PRODUCER,
      attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': record.topic },
    },
    context.active(),
  );
  const headers = injectTraceContext(
    { ...(record.headers ?? {}) },
    trace.setSpan(context.active(), span),
  );
  return {
    message: {
      key: record.key ?? null,
      value: record.value,
      headers,
      ...(record.partition === undefined ? {} : { partition: record.partition }),
    },
    end(error?: unknown) {
      if (error !== undefined) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    },
  };
}
