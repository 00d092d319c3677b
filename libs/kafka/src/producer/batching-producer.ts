import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Message, Producer, RecordMetadata } from 'kafkajs';
import { PipelineKafkaError } from '../errors.ts';
import { injectTraceContext } from '../tracing.ts';

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
}

export interface OutgoingRecord {
  topic: string;
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer>;
  partition?: number;
}

interface Queued {
  record: OutgoingRecord;
  message: Message;
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
}

const tracer = () => trace.getTracer('@claude-pipeline/kafka');

export function createBatchingProducer(options: BatchingProducerOptions): BatchingProducer {
  const { producer } = options;
  const lingerMs = options.lingerMs ?? 2;
  const maxBatch = options.maxBatchRecords ?? 1000;
  const maxInFlight = options.maxInFlightBatches ?? 1;
  if (lingerMs < 0 || maxBatch < 1 || maxInFlight < 1) {
    throw new PipelineKafkaError(
      'batching producer: lingerMs >= 0, maxBatchRecords >= 1, maxInFlightBatches >= 1',
    );
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
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      inFlight += 1;
      const p = sendBatch(batch).finally(() => {
        inFlight -= 1;
        outstanding.delete(p);
        if (queue.length > 0) schedule();
      });
      outstanding.add(p);
    }
  }

  async function sendBatch(batch: Queued[]): Promise<void> {
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
      if (batch.length > 1 && isRecordSpecific(error)) {
        // One bad record (too large, invalid) must not fail its neighbours: send them one by
        // one so the error reaches only its own caller.
        await Promise.all(batch.map((q) => sendBatch([q])));
        return;
      }
      for (const q of batch) q.reject(error);
    }
  }

  return {
    get queued() {
      return queue.length;
    },
    send(record) {
      const { message, end } = tracedMessage(record);
      return new Promise<RecordMetadata>((resolve, reject) => {
        queue.push({
          record,
          message,
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

function isRecordSpecific(error: unknown): boolean {
  const type = (error as { type?: unknown; cause?: { type?: unknown } }).type;
  return typeof type === 'string' && RECORD_SPECIFIC.has(type);
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
