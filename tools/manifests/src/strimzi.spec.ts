import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { buildTopicCatalog, serviceAccess } from '@claude-pipeline/kafka';
import { DEFAULT_STRIMZI, renderStrimzi } from './render.ts';
import { kafkaTopics, kafkaUsers } from './strimzi.ts';

const deploy = join(__dirname, '../../../deploy/strimzi');

/** The v1 openAPIV3Schema of a vendored Strimzi CRD (schema data only, from Strimzi 0.49+). */
function crdSchema(file: string): object {
  const crd = parse(readFileSync(join(deploy, 'crds', file), 'utf8')) as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: object } }[] };
  };
  const v1 = crd.spec.versions.find((v) => v.name === 'v1');
  if (!v1) throw new Error(`${file} has no v1 version`);
  return v1.schema.openAPIV3Schema;
}

const ajv = new Ajv({ strict: false, allErrors: true });
const validTopic = ajv.compile(crdSchema('kafkatopic-crd.yaml'));
const validUser = ajv.compile(crdSchema('kafkauser-crd.yaml'));

describe('Strimzi manifests', () => {
  it('are up to date with the catalogs (regenerate: npm run manifests)', () => {
    for (const [file, content] of renderStrimzi()) {
      expect(readFileSync(join(deploy, file), 'utf8')).toBe(content);
    }
  });

  it('validate against the KafkaTopic and KafkaUser CRD schemas (kafka.strimzi.io/v1)', () => {
    const committed = (file: string) =>
      parseAllDocuments(readFileSync(join(deploy, file), 'utf8')).map(
        (d) => d.toJS() as Record<string, unknown>,
      );
    for (const topic of committed('kafka-topics.yaml')) {
      expect(topic).toMatchObject({ apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaTopic' });
      expect(validTopic(topic) ? [] : validTopic.errors).toEqual([]);
    }
    for (const user of committed('kafka-users.yaml')) {
      expect(user).toMatchObject({ apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaUser' });
      expect(validUser(user) ? [] : validUser.errors).toEqual([]);
    }
  });

  it('a schema violation is caught (the validation is real)', () => {
    const [topic] = kafkaTopics(DEFAULT_STRIMZI);
    const broken = { ...topic, spec: { partitions: 0 } };
    expect(validTopic(broken)).toBe(false);
  });

  it('the topic manifests and the catalog agree: names, partitions, replicas, configs', () => {
    const catalog = buildTopicCatalog(DEFAULT_STRIMZI);
    const manifests = kafkaTopics(DEFAULT_STRIMZI) as {
      metadata: { labels: Record<string, string> };
      spec: Record<string, unknown>;
    }[];
    expect(manifests.map((m) => m.spec['topicName'])).toEqual(catalog.topics.map((t) => t.name));
    for (const [i, t] of catalog.topics.entries()) {
      expect(manifests[i]!.spec).toEqual({
        topicName: t.name,
        partitions: t.partitions,
        replicas: 3,
        config: t.configs,
      });
      expect(manifests[i]!.metadata.labels['strimzi.io/cluster']).toBe('pipeline-kafka');
    }
  });

  it('gives each service exactly the topics its access list names, its groups and its transactional ids', () => {
    const users = kafkaUsers(DEFAULT_STRIMZI) as {
      metadata: { name: string };
      spec: {
        authorization: {
          acls: { resource: { type: string; name: string }; operations: string[] }[];
        };
      };
    }[];
    const access = serviceAccess(buildTopicCatalog(DEFAULT_STRIMZI).names);
    const dedupe = users.find((u) => u.metadata.name === 'pipeline-dedupe')!.spec.authorization
      .acls;
    const writes = dedupe
      .filter((a) => a.operations.includes('Write') && a.resource.type === 'topic')
      .map((a) => a.resource.name);
    expect(writes.sort()).toEqual([...access.dedupe.writes].sort());
    expect(dedupe).toContainEqual(
      expect.objectContaining({
        resource: { type: 'transactionalId', name: 'pipeline.dedupe', patternType: 'prefix' },
      }),
    );
    // The notifier may not write results, nor read jobs.
    const notifier = users.find((u) => u.metadata.name === 'pipeline-notifier')!.spec.authorization
      .acls;
    expect(notifier.some((a) => a.resource.name === 'pipeline.jobs')).toBe(false);
    expect(
      notifier.some(
        (a) => a.resource.name === 'pipeline.results' && a.operations.includes('Write'),
      ),
    ).toBe(false);
  });
});
