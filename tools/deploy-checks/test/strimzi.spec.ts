import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { buildTopicCatalog, serviceAccess } from '@claude-pipeline/kafka';
import { HELM_DIR, SHARED_STRIMZI_DIR, STRIMZI_DIR } from '../src/paths.ts';
import { CHART_SERVICES } from '../src/services.ts';

interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
}

const CRD_FILES = ['kafkatopic-crd.yaml', 'kafkauser-crd.yaml'] as const;

function v1Schema(dir: string, file: string): object {
  const crd = parse(readFileSync(join(dir, file), 'utf8')) as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: object } }[] };
  };
  const v1 = crd.spec.versions.find((v) => v.name === 'v1');
  if (!v1) throw new Error(`${file}: no v1 version`);
  return v1.schema.openAPIV3Schema;
}

const repoCrds = join(STRIMZI_DIR, 'crds');
const ajv = new Ajv({ strict: false, allErrors: true });
const validTopic = ajv.compile(v1Schema(repoCrds, 'kafkatopic-crd.yaml'));
const validUser = ajv.compile(v1Schema(repoCrds, 'kafkauser-crd.yaml'));
const load = (file: string) =>
  parseAllDocuments(readFileSync(join(STRIMZI_DIR, file), 'utf8')).map((d) => d.toJS() as Resource);
const topics = load('kafka-topics.yaml');
const users = load('kafka-users.yaml');

describe('Strimzi topics and users (deploy/strimzi)', () => {
  it('the CRD schemas in the repo are the vendored Strimzi ones', () => {
    // ../shared/vendor/strimzi is the project's vendored copy; a checkout without it (CI) still
    // checks that the repo copies are the kafka.strimzi.io v1 schemas.
    for (const file of CRD_FILES) {
      const repo = readFileSync(join(repoCrds, file), 'utf8');
      if (existsSync(join(SHARED_STRIMZI_DIR, file))) {
        expect([file, repo === readFileSync(join(SHARED_STRIMZI_DIR, file), 'utf8')]).toEqual([
          file,
          true,
        ]);
      }
      expect(repo).toMatch(/name: kafka(topics|users)\.kafka\.strimzi\.io/);
      expect(v1Schema(repoCrds, file)).toHaveProperty('properties.spec');
    }
  });

  it('every KafkaTopic and KafkaUser is kafka.strimzi.io/v1 and validates against its CRD schema', () => {
    expect(topics.length).toBeGreaterThan(0);
    for (const t of topics) {
      expect(t).toMatchObject({ apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaTopic' });
      expect(t.metadata.labels['strimzi.io/cluster']).toBeTruthy();
      expect([t.metadata.name, validTopic(t) ? [] : validTopic.errors]).toEqual([
        t.metadata.name,
        [],
      ]);
    }
    for (const u of users) {
      expect(u).toMatchObject({ apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaUser' });
      expect([u.metadata.name, validUser(u) ? [] : validUser.errors]).toEqual([
        u.metadata.name,
        [],
      ]);
    }
  });

  it('the schema validation is real: a broken topic and user are rejected', () => {
    expect(validTopic({ ...topics[0], spec: { partitions: 0 } })).toBe(false);
    expect(validUser({ ...users[0], spec: { authentication: { type: 'basic' } } })).toBe(false);
  });

  it('the topics are the catalog: names, partitions, replicas, configs (nothing more, nothing less)', () => {
    const replicas = topics[0]!.spec['replicas'] as number;
    const catalog = buildTopicCatalog({ replicationFactor: replicas });
    expect(topics.map((t) => t.spec['topicName'])).toEqual(catalog.topics.map((t) => t.name));
    for (const t of topics) {
      const spec = catalog.get(t.spec['topicName'] as string)!;
      expect(t.spec).toEqual({
        topicName: spec.name,
        partitions: spec.partitions,
        replicas: spec.replicationFactor,
        config: spec.configs,
      });
    }
  });

  it('one KafkaUser per deployable, and the charts authenticate as theirs', () => {
    const names = buildTopicCatalog().names;
    const access = serviceAccess(names);
    expect(users.map((u) => u.metadata.name).sort()).toEqual(
      Object.keys(access)
        .map((s) => `${names.prefix}-${s}`)
        .sort(),
    );
    for (const { name } of CHART_SERVICES) {
      for (const profile of ['staging', 'production']) {
        const values = parse(
          readFileSync(join(HELM_DIR, name, `values-${profile}.yaml`), 'utf8'),
        ) as {
          kafka: { sasl: { username: string; existingSecret: string } };
        };
        // Strimzi stores a KafkaUser's password in a Secret named after the user.
        expect(values.kafka.sasl.username).toBe(`${names.prefix}-${name}`);
        expect(values.kafka.sasl.existingSecret).toBe(`${names.prefix}-${name}`);
      }
    }
  });
});
