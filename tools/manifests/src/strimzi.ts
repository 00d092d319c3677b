import {
  buildTopicCatalog,
  serviceAccess,
  type CatalogOptions,
  type Deployable,
  type ServiceAccess,
} from '@claude-pipeline/kafka';

/**
 * Strimzi custom resources generated from the topic catalog and the services' access lists,
 * so partitions, retention, cleanup policy and ACLs cannot drift from what the code uses.
 * API version `kafka.strimzi.io/v1` (Strimzi 0.49+; the only one Strimzi 1.0 serves).
 */
export interface StrimziOptions extends CatalogOptions {
  /** The `strimzi.io/cluster` label: name of the Kafka cluster resource. */
  cluster: string;
  namespace?: string;
}

type Resource = Record<string, unknown>;

const metadata = (name: string, options: StrimziOptions, extra: Record<string, string> = {}) => ({
  name,
  ...(options.namespace ? { namespace: options.namespace } : {}),
  labels: {
    'strimzi.io/cluster': options.cluster,
    'app.kubernetes.io/part-of': 'claude-pipeline',
    ...extra,
  },
});

/** Kubernetes names: lowercase alphanumerics, '-' and '.'. */
const k8sName = (topic: string) => topic.toLowerCase().replace(/[^a-z0-9.-]/g, '-');

export function kafkaTopics(options: StrimziOptions): Resource[] {
  return buildTopicCatalog(options).topics.map((t) => ({
    apiVersion: 'kafka.strimzi.io/v1',
    kind: 'KafkaTopic',
    metadata: metadata(k8sName(t.name), options, { 'claude-pipeline/topic-role': t.role }),
    spec: {
      topicName: t.name,
      partitions: t.partitions,
      replicas: t.replicationFactor,
      config: { ...t.configs },
    },
  }));
}

function acls(access: ServiceAccess): Resource[] {
  const topic = (name: string) =>
    name.endsWith('.')
      ? { type: 'topic', name, patternType: 'prefix' }
      : { type: 'topic', name, patternType: 'literal' };
  const rules: Resource[] = [
    ...access.reads.map((name) => ({ resource: topic(name), operations: ['Read', 'Describe'] })),
    ...access.writes.map((name) => ({ resource: topic(name), operations: ['Write', 'Describe'] })),
    {
      resource: { type: 'group', name: access.groupPrefix, patternType: 'prefix' },
      operations: ['Read', 'Describe', 'Delete'],
    },
  ];
  if (access.transactionalIdPrefix) {
    rules.push({
      resource: {
        type: 'transactionalId',
        name: access.transactionalIdPrefix,
        patternType: 'prefix',
      },
      operations: ['Write', 'Describe'],
    });
  }
  return rules.map((r) => ({ type: 'allow', ...r }));
}

/** One `KafkaUser` per deployable (SCRAM-SHA-512), with the ACLs its access list allows. */
export function kafkaUsers(options: StrimziOptions): Resource[] {
  const names = buildTopicCatalog(options).names;
  const access = serviceAccess(names);
  return (Object.keys(access) as Deployable[]).map((service) => ({
    apiVersion: 'kafka.strimzi.io/v1',
    kind: 'KafkaUser',
    metadata: metadata(`${names.prefix}-${service}`.toLowerCase(), options, {
      'app.kubernetes.io/name': service,
    }),
    spec: {
      authentication: { type: 'scram-sha-512' },
      authorization: { type: 'simple', acls: acls(access[service]) },
    },
  }));
}
