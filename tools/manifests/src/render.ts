import { stringify } from 'yaml';
import { kafkaTopics, kafkaUsers, type StrimziOptions } from './strimzi.ts';

/** The committed manifests: `deploy/strimzi/*.yaml` (default catalog, cluster `pipeline-kafka`). */
export const DEFAULT_STRIMZI: StrimziOptions = { cluster: 'pipeline-kafka', replicationFactor: 3 };

const header = (what: string) =>
  `# ${what}, generated from libs/kafka's topic catalog and service access lists by\n` +
  `# \`npm run manifests\`. Do not edit by hand. Replication factor 3 (production); override\n` +
  `# per environment with the Helm values or a kustomize patch.\n`;

export function renderStrimzi(options: StrimziOptions = DEFAULT_STRIMZI): Map<string, string> {
  const docs = (items: Record<string, unknown>[]) =>
    items.map((i) => stringify(i, { lineWidth: 0 })).join('---\n');
  return new Map([
    ['kafka-topics.yaml', header('Strimzi KafkaTopic resources') + docs(kafkaTopics(options))],
    [
      'kafka-users.yaml',
      header('Strimzi KafkaUser resources with ACLs') + docs(kafkaUsers(options)),
    ],
  ]);
}
