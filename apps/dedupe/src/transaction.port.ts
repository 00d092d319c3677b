import {
  Partitioners,
  type Kafka,
  type Offsets,
  type ProducerBatch,
  type RecordMetadata,
} from 'kafkajs';

/** The part of a kafkajs transaction dedupe uses (a kafkajs `Transaction` is one). */
export interface TransactionPort {
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>;
  sendOffsets(offsets: Offsets & { consumerGroupId: string }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** A connected transactional producer (a kafkajs `Producer` is one). */
export interface TransactionalProducerPort {
  transaction(): Promise<TransactionPort>;
  disconnect(): Promise<void>;
}

/**
 * Creates and connects the producer of one input partition. Connecting a producer with a
 * transactional id is what fences every earlier producer with that id (InitProducerId bumps the
 * epoch and aborts or completes its open transaction), so a new owner of a partition calls this
 * BEFORE restoring the partition's store.
 */
export type ProducerFactory = (partition: number) => Promise<TransactionalProducerPort>;

export interface KafkaProducerFactoryOptions {
  kafka: Kafka;
  /** Partition N's producer has transactional id `<transactionalIdPrefix>.<N>`. */
  transactionalIdPrefix: string;
  /** Broker aborts a transaction left open this long (ms). */
  transactionTimeoutMs: number;
}

/** Retry of the transactional producers' requests (ms). */
const TRANSACTIONAL_RETRY = { initialRetryTime: 25, maxRetryTime: 5_000, retries: 8 } as const;

export function kafkaProducerFactory(options: KafkaProducerFactoryOptions): ProducerFactory {
  return async (partition) => {
    const producer = options.kafka.producer({
      transactionalId: `${options.transactionalIdPrefix}.${partition}`,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: options.transactionTimeoutMs,
      allowAutoTopicCreation: false,
      // Keys are placed like the Java client (murmur2): ingest's stream replay and the other
      // services compute partitions that way.
      createPartitioner: Partitioners.DefaultPartitioner,
      // Right after a commit the coordinator is still writing its markers and answers the next
      // transaction's AddPartitionsToTxn with CONCURRENT_TRANSACTIONS for a few ms; kafkajs'
      // first retry waits 300 ms. Back-to-back transactions over 12 partitions took 107 ms each
      // with that and 28 ms with this (local broker). 25 ms doubling, 8 retries: a total budget
      // like the default's. (AddOffsetsToTxn retries use the client's retry, not this one.)
      retry: TRANSACTIONAL_RETRY,
    });
    try {
      await producer.connect();
      // kafkajs initialises the transactional producer id lazily, on the first transaction(),
      // and only that InitProducerId fences the previous owner: do it now, with an empty
      // transaction (its abort sends nothing).
      const fence = await producer.transaction();
      await fence.abort();
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
    return producer;
  };
}
