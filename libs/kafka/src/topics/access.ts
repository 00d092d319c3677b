import { RETRY_STAGES } from './catalog.ts';
import type { ConsumingService, TopicNames } from './names.ts';

/**
 * What each deployable may do on the cluster: the topics it reads and writes, the consumer
 * groups and transactional ids it owns (by prefix). One source for the Strimzi `KafkaUser` ACLs,
 * so a service's permissions follow its code's topics. Naming rules the services keep:
 *   consumer groups    `<prefix>.<service>` or `<prefix>.<service>.<anything>`
 *   transactional ids  `<prefix>.<service>.<anything>`
 */
export type Deployable = ConsumingService | 'ingest' | 'cli';

export interface ServiceAccess {
  /** Topic names; a name ending in "." is a prefix (all topics under it). */
  reads: string[];
  writes: string[];
  /** Prefix of every consumer group the service uses. */
  groupPrefix: string;
  /** Prefix of its transactional ids, if it uses transactions. */
  transactionalIdPrefix?: string;
}

export function serviceAccess(names: TopicNames): Record<Deployable, ServiceAccess> {
  const p = names.prefix;
  const retries = (s: ConsumingService) =>
    Array.from({ length: RETRY_STAGES[s] }, (_, i) => names.retry(s, i + 1));
  const own = (s: Deployable) => `${p}.${s}`;
  return {
    ingest: {
      reads: [names.status, names.stream],
      writes: [names.events, names.batchesControl],
      groupPrefix: own('ingest'),
    },
    dedupe: {
      reads: [names.events, names.dedupeChangelog],
      writes: [names.jobs, names.dedupeChangelog, names.status, names.dlq('dedupe')],
      groupPrefix: own('dedupe'),
      transactionalIdPrefix: own('dedupe'),
    },
    'claude-worker': {
      reads: [names.jobs, ...retries('claude-worker')],
      writes: [
        names.results,
        names.status,
        names.stream,
        ...retries('claude-worker'),
        names.dlq('claude-worker'),
      ],
      groupPrefix: own('claude-worker'),
    },
    'batch-poller': {
      reads: [names.jobs, names.batches, names.batchesControl],
      writes: [names.batches, names.results, names.status, names.dlq('batch-poller')],
      groupPrefix: own('batch-poller'),
      transactionalIdPrefix: own('batch-poller'),
    },
    notifier: {
      reads: [names.results, ...retries('notifier')],
      writes: [names.status, ...retries('notifier'), names.dlq('notifier')],
      groupPrefix: own('notifier'),
    },
    // The operator CLI: reads everything (topics, lag, DLQs) and redrives dead letters to the
    // topics services consume.
    cli: {
      reads: [`${p}.`],
      writes: [names.events, names.jobs, names.results, names.batches],
      groupPrefix: own('cli'),
    },
  };
}
