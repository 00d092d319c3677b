import type { Admin } from 'kafkajs';
import { PipelineKafkaError } from '../errors.ts';

/**
 * Waits until every partition of `topics` has a leader. kafkajs' own `waitForLeaders` retries
 * only LEADER_NOT_AVAILABLE, but a KRaft broker can answer UNKNOWN_TOPIC_OR_PARTITION for a
 * moment after CreateTopics returns (seen with Kafka 4.x), so both count as "not yet" here.
 */
export async function waitForTopics(
  admin: Admin,
  topics: readonly string[],
  { timeoutMs = 30_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  if (topics.length === 0) return;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const { topics: described } = await admin.fetchTopicMetadata({ topics: [...topics] });
      const ready =
        described.length === topics.length &&
        described.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (ready) return;
    } catch (error) {
      const type = (error as { type?: unknown }).type;
      if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE') throw error;
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new PipelineKafkaError(`topics not ready after ${timeoutMs} ms: ${topics.join(', ')}`, {
    retriable: true,
    cause: lastError,
  });
}
