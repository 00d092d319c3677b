import type { BatchingProducer } from '@claude-pipeline/kafka';
import type { Logger } from '@claude-pipeline/telemetry';
import type { Counter, Histogram } from 'prom-client';
import { PublishUnavailableError, RecordTooLargeError } from '../errors.ts';
import type { PreparedEvent } from './event-record.ts';

/** The port: append one event durably. Handlers answer 2xx only after this resolves. */
export interface EventPublisher {
  /**
   * Resolves once Kafka acknowledged the record (acks=all, idempotent producer). Rejects with
   * `PublishUnavailableError` when it did not within the timeout (the record may still land
   * later: a client retrying with the same idempotency key gets the same job), or with
   * `RecordTooLargeError`.
   */
  publish(event: PreparedEvent): Promise<void>;
  /** Publishes not yet settled (acked, failed or abandoned by Kafka). */
  readonly pending: number;
}

export interface KafkaEventPublisherOptions {
  producer: Pick<BatchingProducer, 'send'>;
  topic: string;
  /** Longest wait for the ack, ms. */
  timeoutMs: number;
  /** Beyond this many unsettled publishes, fail at once: Kafka is not keeping up or is down. */
  maxPending: number;
  /** Largest value, bytes. */
  maxRecordBytes: number;
  metrics?: {
    produceDuration: Pick<Histogram<'topic'>, 'observe'>;
    produced: Pick<Counter<'topic'>, 'inc'>;
  };
  logger?: Pick<Logger, 'warn'>;
  now?: () => number;
}

/** kafkajs error types that mean "this record", not "Kafka is unavailable". */
const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

function errorType(error: unknown): string | undefined {
  const type = (error as { type?: unknown } | undefined)?.type;
  return typeof type === 'string' ? type : undefined;
}

export function createKafkaEventPublisher(options: KafkaEventPublisherOptions): EventPublisher {
  const now = options.now ?? Date.now;
  let pending = 0;

  return {
    get pending() {
      return pending;
    },
    async publish(event) {
      if (Buffer.byteLength(event.value) > options.maxRecordBytes) {
        throw new RecordTooLargeError(
          `the event record would be larger than ${options.maxRecordBytes} bytes`,
        );
      }
      if (pending >= options.maxPending) {
        throw new PublishUnavailableError(
          `${pending} records are waiting for Kafka; not queueing more`,
        );
      }
      const started = now();
      pending += 1;
      const sent = options.producer
        .send({ topic: options.topic, key: event.key, value: event.value, headers: event.headers })
        .finally(() => {
          pending -= 1;
        });
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          timedOut = true;
          reject(
            new PublishUnavailableError(`Kafka did not acknowledge within ${options.timeoutMs} ms`),
          );
        }, options.timeoutMs);
      });
      // A send that fails after the caller got its 503 must not become an unhandled rejection;
      // one that fails in time is reported by the caller.
      sent.catch((error: unknown) => {
        if (timedOut) {
          options.logger?.warn(
            { err: error, job_id: event.jobId },
            'event abandoned by the producer after its 503',
          );
        }
      });
      try {
        await Promise.race([sent, timeout]);
        options.metrics?.produceDuration.observe(
          { topic: options.topic },
          (now() - started) / 1000,
        );
        options.metrics?.produced.inc({ topic: options.topic });
      } catch (error) {
        if (error instanceof PublishUnavailableError) throw error;
        if (TOO_LARGE.has(errorType(error) ?? '')) {
          throw new RecordTooLargeError('Kafka refused the record as too large', { cause: error });
        }
        throw new PublishUnavailableError('Kafka did not accept the record', { cause: error });
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
