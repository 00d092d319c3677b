import type { Logger } from '@claude-pipeline/telemetry';
import type { Admin } from 'kafkajs';
import type { NotifierMetrics } from './metrics.ts';

/**
 * Periodically reads watermarks and the group's committed offsets to publish how much waits
 * where: consumer lag of the results topic, records waiting in each retry stage, and the DLQ
 * depth. One admin round trip per topic every interval; nothing on the delivery path.
 */
export interface DepthMonitor {
  refresh(): Promise<void>;
  stop(): void;
}

export function startDepthMonitor(options: {
  admin: Admin;
  groupId: string;
  sourceTopic: string;
  stageTopics: readonly string[];
  dlqTopic: string;
  metrics: NotifierMetrics;
  intervalMs: number;
  logger: Logger;
}): DepthMonitor {
  const { admin, groupId, metrics } = options;
  const consumed = [options.sourceTopic, ...options.stageTopics];

  async function refresh(): Promise<void> {
    const committed = await admin.fetchOffsets({ groupId, topics: consumed });
    const committedOf = new Map<string, number>();
    for (const t of committed) {
      for (const p of t.partitions) committedOf.set(`${t.topic}:${p.partition}`, Number(p.offset));
    }
    for (const topic of consumed) {
      let depth = 0;
      for (const p of await admin.fetchTopicOffsets(topic)) {
        const low = Number(p.low);
        const high = Number(p.high);
        const at = committedOf.get(`${topic}:${p.partition}`) ?? -1;
        const lag = Math.max(0, high - (at < 0 ? low : Math.max(at, low)));
        depth += lag;
        if (topic === options.sourceTopic) {
          metrics.consumerLag.set({ group: groupId, topic, partition: String(p.partition) }, lag);
        }
      }
      if (topic !== options.sourceTopic) metrics.retryDepth.set({ topic }, depth);
    }
    let dlq = 0;
    for (const p of await admin.fetchTopicOffsets(options.dlqTopic)) {
      dlq += Math.max(0, Number(p.high) - Number(p.low));
    }
    metrics.dlqDepth.set({ topic: options.dlqTopic }, dlq);
  }

  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    refresh()
      .catch((error: unknown) => options.logger.debug({ err: error }, 'depth refresh failed'))
      .finally(() => {
        running = false;
      });
  }, options.intervalMs);
  timer.unref();

  return {
    refresh,
    stop: () => clearInterval(timer),
  };
}
