import { topicNames, type ConsumingService, type TopicNames } from './names.ts';

/**
 * The topic catalog: every topic of the pipeline with its partitions and configs. One source for
 * `npm run topics`, the Strimzi `KafkaTopic` manifests and the AsyncAPI document.
 * Contracts: ARCHITECTURE.md, "Topics".
 */

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

export type TopicRole =
  | 'events'
  | 'dedupe-changelog'
  | 'jobs'
  | 'results'
  | 'status'
  | 'stream'
  | 'batches'
  | 'batches-control'
  | 'retry'
  | 'dlq';

export interface TopicSpec {
  readonly name: string;
  readonly role: TopicRole;
  /** Consuming service, for retry and DLQ topics. */
  readonly service?: ConsumingService;
  /** Retry stage (1-based), for retry topics. */
  readonly stage?: number;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Topic-level configs, as Kafka names them. Values are strings, as the admin API wants. */
  readonly configs: Readonly<Record<string, string>>;
  readonly description: string;
  /** What the record key is. */
  readonly key: string;
}

/**
 * Retry stages per consuming service. Only the count is fixed here (one topic per stage); each
 * stage's delay is runtime config of the service's retry policy.
 *   claude-worker: 5 s, 1 min, 10 min (default policy);
 *   notifier:      5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (default policy).
 */
export const RETRY_STAGES: Readonly<Record<ConsumingService, number>> = {
  dedupe: 0,
  'claude-worker': 3,
  'batch-poller': 0,
  notifier: 7,
};

export const CONSUMING_SERVICES: readonly ConsumingService[] = [
  'dedupe',
  'claude-worker',
  'batch-poller',
  'notifier',
];

export interface CatalogOptions {
  prefix?: string;
  /** Partitions of the keyed pipeline topics (events, changelog, jobs, results, status, stream). */
  partitions?: number;
  /** Partitions of the batch topics, retry stages and DLQs. */
  auxPartitions?: number;
  replicationFactor?: number;
  /** `min.insync.replicas` for every topic; defaults to min(2, replicationFactor). */
  minInsyncReplicas?: number;
  /** Retention of `pipeline.stream` (default 1 hour). */
  streamRetentionMs?: number;
}

export interface TopicCatalog {
  readonly names: TopicNames;
  readonly topics: readonly TopicSpec[];
  get(name: string): TopicSpec | undefined;
}

export const CATALOG_DEFAULTS = {
  partitions: 6,
  auxPartitions: 3,
  replicationFactor: 1,
  streamRetentionMs: HOUR_MS,
} as const;

export function buildTopicCatalog(options: CatalogOptions = {}): TopicCatalog {
  const names = topicNames(options.prefix);
  const partitions = options.partitions ?? CATALOG_DEFAULTS.partitions;
  const aux = options.auxPartitions ?? CATALOG_DEFAULTS.auxPartitions;
  const replicationFactor = options.replicationFactor ?? CATALOG_DEFAULTS.replicationFactor;
  const minIsr = options.minInsyncReplicas ?? Math.min(2, replicationFactor);
  for (const [label, value] of Object.entries({ partitions, aux, replicationFactor, minIsr })) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`topic catalog: ${label} must be an integer >= 1, got ${value}`);
    }
  }
  if (minIsr > replicationFactor) {
    throw new Error(
      `topic catalog: min.insync.replicas (${minIsr}) exceeds replication factor (${replicationFactor})`,
    );
  }

  const base = { replicationFactor };
  const configs = (extra: Record<string, string>) => ({
    'min.insync.replicas': String(minIsr),
    ...extra,
  });
  const deleteAfter = (ms: number) =>
    configs({ 'cleanup.policy': 'delete', 'retention.ms': String(ms) });

  const topics: TopicSpec[] = [
    {
      ...base,
      name: names.events,
      role: 'events',
      partitions,
      key: 'tenant + idempotency key',
      configs: deleteAfter(7 * DAY_MS),
      description: 'Accepted inbound events and the job request built from each.',
    },
    {
      ...base,
      name: names.dedupeChangelog,
      role: 'dedupe-changelog',
      // Co-partitioned with events: the store of events partition N is restored from partition N.
      partitions,
      key: 'tenant + idempotency key',
      configs: configs({ 'cleanup.policy': 'compact' }),
      description:
        'First-seen record per idempotency key (tombstone on expiry); backs dedupe state.',
    },
    {
      ...base,
      name: names.jobs,
      role: 'jobs',
      partitions,
      key: 'job id',
      configs: deleteAfter(7 * DAY_MS),
      description: 'Public: every unique job.',
    },
    {
      ...base,
      name: names.results,
      role: 'results',
      partitions,
      key: 'job id',
      configs: deleteAfter(30 * DAY_MS),
      description: 'Public: job results (succeeded or failed) with a generation.',
    },
    {
      ...base,
      name: names.status,
      role: 'status',
      partitions,
      key: 'job id',
      configs: configs({ 'cleanup.policy': 'compact,delete', 'retention.ms': String(7 * DAY_MS) }),
      description: 'Lifecycle state of each job; feeds GET /v1/jobs/:id.',
    },
    {
      ...base,
      name: names.stream,
      role: 'stream',
      partitions,
      key: 'job id',
      configs: deleteAfter(options.streamRetentionMs ?? CATALOG_DEFAULTS.streamRetentionMs),
      description: 'Ordered token deltas with a sequence number, then an end record; feeds SSE.',
    },
    {
      ...base,
      name: names.batches,
      role: 'batches',
      partitions: aux,
      key: 'batch id',
      // A packing intent lists up to 100,000 job ids with their trace contexts.
      configs: configs({
        'cleanup.policy': 'compact',
        'max.message.bytes': String(16 * 1024 * 1024),
      }),
      description: 'Open batch records and packing intents; tombstoned when done.',
    },
    {
      ...base,
      name: names.batchesControl,
      role: 'batches-control',
      partitions: aux,
      key: 'batch id',
      configs: deleteAfter(DAY_MS),
      description: '"Poll this batch now" commands, from batch completion notifications.',
    },
  ];

  for (const service of CONSUMING_SERVICES) {
    for (let stage = 1; stage <= RETRY_STAGES[service]; stage += 1) {
      topics.push({
        ...base,
        name: names.retry(service, stage),
        role: 'retry',
        service,
        stage,
        partitions: aux,
        key: 'as source',
        // Longer than the longest stage delay (10 h) with room for an outage.
        configs: deleteAfter(7 * DAY_MS),
        description: `Retry stage ${stage} of ${service}: source records with retry headers.`,
      });
    }
    topics.push({
      ...base,
      name: names.dlq(service),
      role: 'dlq',
      service,
      partitions: aux,
      key: 'as source',
      configs: deleteAfter(30 * DAY_MS),
      description: `Dead letters of ${service}: original bytes plus error headers; redrivable.`,
    });
  }

  const byName = new Map(topics.map((t) => [t.name, t]));
  return { names, topics, get: (name) => byName.get(name) };
}

/** The catalog for parsed connection settings (prefix, partitions, replication factor). */
export function catalogFromSettings(settings: {
  topicPrefix: string;
  partitions?: number;
  auxPartitions?: number;
  replicationFactor?: number;
}): TopicCatalog {
  return buildTopicCatalog({
    prefix: settings.topicPrefix,
    ...(settings.partitions ? { partitions: settings.partitions } : {}),
    ...(settings.auxPartitions ? { auxPartitions: settings.auxPartitions } : {}),
    ...(settings.replicationFactor ? { replicationFactor: settings.replicationFactor } : {}),
  });
}
