import kafkajs, { type Admin } from 'kafkajs';
import { TopicMismatchError, type TopicMismatch } from '../errors.ts';
import type { TopicSpec } from './catalog.ts';
import { waitForTopics } from './wait-for-topics.ts';

// kafkajs is CommonJS and builds its exports with a spread, which Node's CJS named-export
// detection cannot see: take the enums from the default export.
const { ConfigResourceTypes } = kafkajs;

export interface ProvisionReport {
  created: string[];
  unchanged: string[];
  mismatches: TopicMismatch[];
}

export interface ProvisionOptions {
  /** Only compare; create nothing. */
  dryRun?: boolean;
}

/**
 * Creates every missing topic of `specs` and checks the existing ones against them. Idempotent.
 * A difference (partitions, replication factor, a config value) is reported as a mismatch and
 * never "fixed" silently: changing partitions re-maps keys and would break co-partitioning of
 * the dedupe changelog, so it is an operator's decision.
 */
export async function provisionTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  options: ProvisionOptions = {},
): Promise<ProvisionReport> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.name));
  const report: ProvisionReport = { created: [], unchanged: [], mismatches: [] };

  if (missing.length > 0 && !options.dryRun) {
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor: s.replicationFactor,
        configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
      })),
    });
    await waitForTopics(
      admin,
      missing.map((s) => s.name),
    );
    report.created.push(...missing.map((s) => s.name));
  } else if (options.dryRun) {
    report.mismatches.push(...missing.map((s) => ({ topic: s.name, problem: 'missing' })));
  }

  // Check everything that existed before (a topic created concurrently by another provisioner
  // is checked too: it may have been created with other settings).
  const toCheck = specs.filter((s) => existing.has(s.name));
  if (toCheck.length > 0) {
    report.mismatches.push(...(await compareTopics(admin, toCheck)));
    const bad = new Set(report.mismatches.map((m) => m.topic));
    report.unchanged.push(...toCheck.filter((s) => !bad.has(s.name)).map((s) => s.name));
  }
  return report;
}

/** Like provisionTopics, but throws a TopicMismatchError if anything differs. */
export async function ensureTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
): Promise<ProvisionReport> {
  const report = await provisionTopics(admin, specs);
  if (report.mismatches.length > 0) throw new TopicMismatchError(report.mismatches);
  return report;
}

async function compareTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<TopicMismatch[]> {
  const mismatches: TopicMismatch[] = [];
  const metadata = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.name) });
  const partitionsByTopic = new Map(metadata.topics.map((t) => [t.name, t.partitions]));
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: specs.map((s) => ({
      type: ConfigResourceTypes.TOPIC,
      name: s.name,
      configNames: Object.keys(s.configs),
    })),
  });
  const configsByTopic = new Map(
    described.resources.map((r) => [
      r.resourceName,
      new Map(r.configEntries.map((e) => [e.configName, e.configValue])),
    ]),
  );

  for (const spec of specs) {
    const partitions = partitionsByTopic.get(spec.name) ?? [];
    if (partitions.length !== spec.partitions) {
      mismatches.push({
        topic: spec.name,
        problem: `has ${partitions.length} partitions, catalog says ${spec.partitions}`,
      });
    }
    const replicas = Math.min(...partitions.map((p) => p.replicas.length));
    if (partitions.length > 0 && replicas !== spec.replicationFactor) {
      mismatches.push({
        topic: spec.name,
        problem: `has replication factor ${replicas}, catalog says ${spec.replicationFactor}`,
      });
    }
    const actual = configsByTopic.get(spec.name);
    for (const [name, expected] of Object.entries(spec.configs)) {
      const value = actual?.get(name);
      if (normaliseConfig(name, value) !== normaliseConfig(name, expected)) {
        mismatches.push({
          topic: spec.name,
          problem: `config ${name} is ${value ?? '(unset)'}, catalog says ${expected}`,
        });
      }
    }
  }
  return mismatches;
}

/** `compact,delete` and `delete,compact` are the same policy. */
function normaliseConfig(name: string, value: string | undefined): string | undefined {
  if (value === undefined || name !== 'cleanup.policy') return value;
  return value
    .split(',')
    .map((v) => v.trim())
    .sort()
    .join(',');
}
