/**
 * Topic names come from one place (as Kafka Streams derives its changelog and repartition
 * names from one function), so a prefix change or a new retry stage can never drift between
 * services, provisioning, Helm manifests and tests.
 */
export const DEFAULT_TOPIC_PREFIX = 'pipeline';

/** Services that own a retry chain and/or a dead-letter topic. */
export type ConsumingService = 'dedupe' | 'claude-worker' | 'batch-poller' | 'notifier';

const PREFIX_PATTERN = /^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$/;

export interface TopicNames {
  readonly prefix: string;
  readonly events: string;
  readonly dedupeChangelog: string;
  readonly jobs: string;
  readonly results: string;
  readonly status: string;
  readonly stream: string;
  readonly batches: string;
  readonly batchesControl: string;
  /** `<prefix>.<service>.retry.<stage>`, stages counted from 1. */
  retry(service: ConsumingService, stage: number): string;
  /** `<prefix>.<service>.dlq`. */
  dlq(service: ConsumingService): string;
}

export function topicNames(prefix: string = DEFAULT_TOPIC_PREFIX): TopicNames {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new Error(`invalid topic prefix "${prefix}": use letters, digits, '-', '_' and '.'`);
  }
  return {
    prefix,
    events: `${prefix}.events`,
    dedupeChangelog: `${prefix}.dedupe.changelog`,
    jobs: `${prefix}.jobs`,
    results: `${prefix}.results`,
    status: `${prefix}.status`,
    stream: `${prefix}.stream`,
    batches: `${prefix}.batches`,
    batchesControl: `${prefix}.batches.control`,
    retry(service, stage) {
      if (!Number.isInteger(stage) || stage < 1) {
        throw new Error(`retry stage must be an integer >= 1, got ${stage}`);
      }
      return `${prefix}.${service}.retry.${stage}`;
    },
    dlq: (service) => `${prefix}.${service}.dlq`,
  };
}
