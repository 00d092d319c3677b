import type { Kafka, Producer, Transaction } from 'kafkajs';

/** Retry of the transactional producers' requests (ms); see dedupe's transaction.port.ts. */
const TRANSACTIONAL_RETRY = { initialRetryTime: 25, maxRetryTime: 5_000, retries: 8 } as const;

/**
 * A transactional producer with a stable id, connected and fenced: kafkajs initialises the
 * producer id lazily, and only that InitProducerId fences an earlier owner of the id, so an empty
 * transaction is begun and aborted at once.
 */
export async function fencedProducer(
  kafka: Kafka,
  transactionalId: string,
  transactionTimeoutMs: number,
): Promise<Producer> {
  const producer = kafka.producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: transactionTimeoutMs,
    allowAutoTopicCreation: false,
    retry: TRANSACTIONAL_RETRY,
  });
  try {
    await producer.connect();
    const fence = await producer.transaction();
    await fence.abort();
  } catch (error) {
    await producer.disconnect().catch(() => undefined);
    throw error;
  }
  return producer;
}

/** Runs `work` in a transaction: commit when it resolves, abort when it throws. */
export async function inTransaction<T>(
  producer: Producer,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  const tx = await producer.transaction();
  try {
    const value = await work(tx);
    await tx.commit();
    return value;
  } catch (error) {
    if (tx.isActive()) await tx.abort().catch(() => undefined);
    throw error;
  }
}

/** kafkajs' fencing errors: another producer took this transactional id over. */
export function isFenced(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    const type = (current as { type?: unknown }).type;
    if (
      type === 'INVALID_PRODUCER_EPOCH' ||
      type === 'PRODUCER_FENCED' ||
      type === 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'
    ) {
      return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
