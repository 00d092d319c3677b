import type { Message, RecordMetadata, TopicMessages, Transaction } from 'kafkajs';
import { recordBytes } from './record-bytes.ts';

/**
 * Bytes of records per topic in one produce request of `sendSplit` (estimated): under the 1 MB
 * default `max.message.bytes` of the topics, uncompressed.
 */
export const SPLIT_BYTES = 900 * 1024; // 900 KiB

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
 * Inside a transaction the split does not matter: everything commits as one. Returns the
 * metadata of every request, in order (a partition's first entry has its first base offset).
 * Used by batch-poller (results, statuses, intents) and dedupe (a fetched batch's jobs, statuses
 * and changelog records).
 */
export async function sendSplit(
  sender: Pick<Transaction, 'sendBatch'>,
  topics: readonly SplitTopic[],
  maxBytes: number = SPLIT_BYTES,
): Promise<RecordMetadata[]> {
  const metadata: RecordMetadata[] = [];
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
        const size = recordBytes(message);
        if (chunk.length > 0 && bytes + size > maxBytes) {
          source.held = message;
          break;
        }
        chunk.push(message);
        bytes += size;
      }
      if (chunk.length > 0) request.push({ topic: source.topic, messages: chunk });
    }
    if (request.length === 0) return metadata;
    metadata.push(...(await sender.sendBatch({ topicMessages: request })));
  }
}
