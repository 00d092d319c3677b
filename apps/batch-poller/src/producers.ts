import type { Kafka, Message, Producer, TopicMessages, Transaction } from 'kafkajs';

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

/**
 * Bytes of records per topic in one produce request of `sendSplit` (estimated): under the 1 MB
 * default `max.message.bytes` of the topics, uncompressed.
 */
export const SPLIT_BYTES = 900 * 1024; // 900 KiB

export const sizeOf = (message: Message): number => {
  let size = 64;
  if (message.key) size += message.key.length;
  if (message.value) size += message.value.length;
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    size += name.length + (typeof value === 'string' || Buffer.isBuffer(value) ? value.length : 64);
  }
  return size;
};

export interface SplitTopic {
  topic: string;
  /** Consumed lazily: only one request's worth is built at a time. */
  messages: Iterable<Message>;
}

/**
 * Sends many records in produce requests holding at most `maxBytes` per topic: kafkajs sends one
 * record batch per partition per request and never splits it, and a batch over the topic's
 * `max.message.bytes` is refused whole. Each request carries a slice of every topic (results and
 * statuses travel together). Uncompressed: compression costs more CPU here than it saves on a
 * local network. A record larger than `maxBytes` goes alone (compress such topics yourself).
 * Inside a transaction the split does not matter: everything commits as one.
 */
export async function sendSplit(
  sender: Pick<Transaction, 'sendBatch'>,
  topics: readonly SplitTopic[],
  maxBytes: number = SPLIT_BYTES,
): Promise<void> {
  const sources = topics.map((t) => ({
    topic: t.topic,
    iterator: t.messages[Symbol.iterator](),
    held: undefined as Message | undefined,
    done: false,
  }));
  for (;;) {
    const request: TopicMessages[] = [];
    for (const source of sources) {
      if (source.done) continue;
      const chunk: Message[] = [];
      let bytes = 0;
      for (;;) {
        let message = source.held;
        source.held = undefined;
        if (!message) {
          const next = source.iterator.next();
          if (next.done) {
            source.done = true;
            break;
          }
          message = next.value;
        }
        const size = sizeOf(message);
        if (chunk.length > 0 && bytes + size > maxBytes) {
          source.held = message;
          break;
        }
        chunk.push(message);
        bytes += size;
      }
      if (chunk.length > 0) request.push({ topic: source.topic, messages: chunk });
    }
    if (request.length === 0) return;
    await sender.sendBatch({ topicMessages: request });
  }
}
