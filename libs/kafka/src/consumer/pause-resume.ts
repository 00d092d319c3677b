import type { Consumer } from 'kafkajs';

type TopicPartitions = Parameters<Consumer['pause']>[0];

/** Runs a pause or resume; false when kafkajs refused it (no consumer group right now). */
function applied(action: () => void): boolean {
  try {
    action();
    return true;
  } catch {
    return false;
  }
}

/**
 * `consumer.pause` / `consumer.resume` that never throw. While kafkajs restarts a consumer after a
 * crash (a broker restart: "Restarting the consumer in 300ms"), it has no consumer group, and
 * both throw KafkaJSNonRetriableError "Consumer group was not initialized". Called from a timer
 * or a completion callback, that is an uncaught exception that kills the service (found by the
 * chaos suite: dedupe exited during the broker restart and every later job waited for it). The
 * restarted consumer joins with nothing paused, and the callers re-apply what they hold on
 * GROUP_JOIN or when the next batch arrives, so an action lost in that window needs no retry.
 * Returns false when the action was not applied.
 */
export function pausePartitions(consumer: Consumer, topicPartitions: TopicPartitions): boolean {
  return applied(() => consumer.pause(topicPartitions));
}

/** `consumer.resume` that never throws (see `pausePartitions`). */
export function resumePartitions(consumer: Consumer, topicPartitions: TopicPartitions): boolean {
  return applied(() => consumer.resume(topicPartitions));
}
