import { z } from 'zod';

/**
 * Topics as data. The topic catalog lives in `libs/kafka` (which may depend on this lib, not the
 * reverse), so documents that describe topics take the catalog as input: `TopicBinding` is the
 * structural subset of its `TopicSpec`, and `docs/topics.json` is the catalog written out.
 */
export const TOPIC_ROLES = [
  'events',
  'dedupe-changelog',
  'jobs',
  'results',
  'status',
  'stream',
  'batches',
  'batches-control',
  'retry',
  'dlq',
] as const;
export type TopicRole = (typeof TOPIC_ROLES)[number];

export const CONSUMING_SERVICES = ['dedupe', 'claude-worker', 'batch-poller', 'notifier'] as const;
export type ConsumingService = (typeof CONSUMING_SERVICES)[number];

export interface TopicBinding {
  readonly name: string;
  readonly role: TopicRole;
  /** Consuming service, for retry and DLQ topics. */
  readonly service?: ConsumingService | undefined;
  /** Retry stage (1-based), for retry topics. */
  readonly stage?: number | undefined;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Topic-level configs as Kafka names them; values are strings, as the admin API wants. */
  readonly configs: Readonly<Record<string, string>>;
  readonly description: string;
  /** What the record key is. */
  readonly key: string;
}

export const topicBindingSchema = z
  .object({
    name: z.string().min(1).max(249),
    role: z.enum(TOPIC_ROLES),
    service: z.enum(CONSUMING_SERVICES).optional(),
    stage: z.int().min(1).optional(),
    partitions: z.int().min(1),
    replicationFactor: z.int().min(1),
    configs: z.record(z.string(), z.string()),
    description: z.string(),
    key: z.string(),
  })
  .superRefine((topic, ctx) => {
    if ((topic.role === 'retry' || topic.role === 'dlq') && topic.service === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['service'],
        message: `a ${topic.role} topic needs a service`,
      });
    }
    if (topic.role === 'retry' && topic.stage === undefined) {
      ctx.addIssue({ code: 'custom', path: ['stage'], message: 'a retry topic needs a stage' });
    }
  });

/** `docs/topics.json`: the catalog of `libs/kafka` with its default options. */
export const topicsFileSchema = z.object({
  $comment: z.string().optional(),
  topics: z.array(topicBindingSchema).min(1),
});
export type TopicsFile = z.infer<typeof topicsFileSchema>;
