import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildTopicCatalog,
  kafkaEnvSchema,
  serviceAccess,
  type Deployable,
} from '@claude-pipeline/kafka';
import { checkEnvNames } from '../src/env-check.ts';
import {
  PROFILES,
  helm,
  prepareCharts,
  profileArgs,
  renderChart,
  type K8sObject,
  type Profile,
} from '../src/helm.ts';
import { validateK8sObjects } from '../src/k8s.ts';
import type { ValidationResult } from '../src/k8s-models.ts';
import { CHART_SERVICES, serviceEnv, shutdownBudgetMs, type ServiceSpec } from '../src/services.ts';

interface Container {
  name: string;
  image: string;
  ports: { name: string; containerPort: number }[];
  env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  livenessProbe?: { httpGet: { path: string; port: string } };
  readinessProbe?: { httpGet: { path: string; port: string } };
  startupProbe?: { httpGet: { path: string; port: string } };
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[] } };
}
interface PodSpec {
  terminationGracePeriodSeconds: number;
  serviceAccountName: string;
  securityContext: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
}
type Deployment = K8sObject & {
  spec: {
    replicas?: number;
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
};
interface Trigger {
  type: string;
  metadata: Record<string, string>;
}

const cases = CHART_SERVICES.flatMap((spec) =>
  PROFILES.map((profile) => [spec.name, profile, spec] as const),
);

let charts: { dir: string; cleanup(): void };
const scratch: string[] = [];
/** A temporary directory removed after the suite. */
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
};
const rendered = new Map<string, K8sObject[]>();
const validation = new Map<string, ValidationResult[]>();
const key = (chart: string, profile: Profile) => `${chart}/${profile}`;

beforeAll(() => {
  charts = prepareCharts();
  const all: K8sObject[] = [];
  const owners: string[] = [];
  for (const [chart, profile] of cases) {
    const objects = renderChart(join(charts.dir, chart), profile);
    rendered.set(key(chart, profile), objects);
    all.push(...objects);
    owners.push(...objects.map(() => key(chart, profile)));
  }
  // One validator process for every rendered object of every chart and profile.
  validateK8sObjects(all).forEach((result, i) => {
    const owner = owners[i]!;
    validation.set(owner, [...(validation.get(owner) ?? []), result]);
  });
}, 180_000);

afterAll(() => {
  charts?.cleanup();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

const objectsOf = (chart: string, profile: Profile) => rendered.get(key(chart, profile)) ?? [];
const one = <T extends K8sObject>(objects: K8sObject[], kind: string): T => {
  const found = objects.filter((o) => o.kind === kind);
  expect([kind, found.length]).toEqual([kind, 1]);
  return found[0] as T;
};
const configData = (objects: K8sObject[], deployment: Deployment) => {
  const container = deployment.spec.template.spec.containers[0]!;
  const name = container.envFrom?.find((e) => e.configMapRef)?.configMapRef?.name;
  const map = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name) as
    (K8sObject & { data: Record<string, string> }) | undefined;
  expect(map).toBeDefined();
  return map!.data;
};

describe('Helm charts: lint and render every chart with every profile', () => {
  it.each(cases)('%s (%s): helm lint --strict passes', (chart, profile) => {
    const dir = join(charts.dir, chart);
    const result = helm(['lint', '--strict', dir, ...profileArgs(dir, profile)]);
    expect([result.code, result.stdout + result.stderr]).toEqual([
      0,
      expect.stringContaining('0 chart(s) failed'),
    ]);
  });

  it.each(cases)(
    '%s (%s): every rendered object validates against its schema',
    (chart, profile) => {
      const results = validation.get(key(chart, profile)) ?? [];
      expect(results.length).toBeGreaterThanOrEqual(5);
      expect(results.filter((r) => r.errors.length > 0)).toEqual([]);
    },
  );

  it.each(cases)(
    '%s (%s): the expected objects, all labelled for the service',
    (chart, profile) => {
      const objects = objectsOf(chart, profile);
      const kinds = objects.map((o) => o.kind).sort();
      const scaled = profile !== 'local';
      const expected = [
        'ConfigMap',
        'Deployment',
        'NetworkPolicy',
        'Service',
        'ServiceAccount',
        ...(scaled
          ? ['PodDisruptionBudget', chart === 'ingest' ? 'HorizontalPodAutoscaler' : 'ScaledObject']
          : []),
      ].sort();
      expect(kinds).toEqual(expected);
      for (const o of objects) {
        expect(o.metadata.labels).toMatchObject({
          'app.kubernetes.io/name': chart,
          'app.kubernetes.io/part-of': 'claude-pipeline',
        });
      }
    },
  );
});

describe.each(CHART_SERVICES.map((s) => [s.name, s] as const))(
  '%s chart',
  (chart, spec: ServiceSpec) => {
    it.each(PROFILES)(
      '%s: non-root, read-only, probes on /healthz and /readyz, resources',
      (profile) => {
        const deployment = one<Deployment>(objectsOf(chart, profile), 'Deployment');
        const pod = deployment.spec.template.spec;
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
        expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
        expect(pod.containers).toHaveLength(1);
        const c = pod.containers[0]!;
        expect(c.securityContext).toMatchObject({
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          privileged: false,
        });
        expect(c.securityContext?.capabilities?.drop).toEqual(['ALL']);
        expect(c.ports).toEqual([
          expect.objectContaining({ name: 'http', containerPort: spec.port }),
        ]);
        expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
        expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
        expect(c.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
        for (const kind of ['requests', 'limits'] as const) {
          expect(Object.keys(c.resources?.[kind] ?? {}).sort()).toEqual(['cpu', 'memory']);
        }
      },
    );

    it.each(PROFILES)(
      '%s: the grace period is longer than the shutdown budget (plus preStop)',
      async (profile) => {
        const objects = objectsOf(chart, profile);
        const deployment = one<Deployment>(objects, 'Deployment');
        const env = await serviceEnv(spec);
        const budget = shutdownBudgetMs(spec, env, configData(objects, deployment));
        const pod = deployment.spec.template.spec;
        const preStopMs = (pod.containers[0]!.lifecycle?.preStop?.sleep?.seconds ?? 0) * 1000;
        expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(budget.ms + preStopMs);
      },
    );

    it.each(PROFILES)(
      '%s: env covers the config schema and uses only names the service reads',
      async (profile) => {
        const objects = objectsOf(chart, profile);
        const deployment = one<Deployment>(objects, 'Deployment');
        const data = configData(objects, deployment);
        const container = deployment.spec.template.spec.containers[0]!;
        const secretEnv = (container.env ?? []).map((e) => e.name);
        const env = await serviceEnv(spec);
        expect(checkEnvNames([...Object.keys(data), ...secretEnv], env)).toEqual({
          unknown: [],
          missing: [],
        });
        // Non-secret values parse with the service's schema and the Kafka settings schema.
        const parsed = env.schema.safeParse(data);
        expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
        const kafka = kafkaEnvSchema.safeParse({ ...data, KAFKA_SASL_PASSWORD: 'from-the-secret' });
        expect(kafka.success ? [] : kafka.error.issues).toEqual([]);
        expect(data['OTEL_SERVICE_NAME']).toBe(chart);
        expect(data['OTEL_EXPORTER_OTLP_ENDPOINT']).toMatch(/^https?:\/\//);
        // Secret variables come from Secrets, never from the ConfigMap.
        for (const e of container.env ?? []) expect(e.valueFrom?.secretKeyRef?.name).toBeTruthy();
        if (data['KAFKA_SASL_MECHANISM']) expect(secretEnv).toContain('KAFKA_SASL_PASSWORD');
      },
    );

    it.each(PROFILES)(
      '%s: Service, PodDisruptionBudget and NetworkPolicy select the pods',
      (profile) => {
        const objects = objectsOf(chart, profile);
        const deployment = one<Deployment>(objects, 'Deployment');
        const podLabels = deployment.spec.template.metadata.labels;
        const selects = (selector: Record<string, string>) =>
          Object.entries(selector).every(([k, v]) => podLabels[k] === v);
        const service = one<
          K8sObject & {
            spec: { selector: Record<string, string>; ports: { targetPort: string }[] };
          }
        >(objects, 'Service');
        expect(selects(service.spec.selector)).toBe(true);
        expect(service.spec.ports[0]!.targetPort).toBe('http');
        const policy = one<
          K8sObject & { spec: { podSelector: { matchLabels: Record<string, string> } } }
        >(objects, 'NetworkPolicy');
        expect(selects(policy.spec.podSelector.matchLabels)).toBe(true);
        const sa = one(objects, 'ServiceAccount');
        expect(deployment.spec.template.spec.serviceAccountName).toBe(sa.metadata.name);
        for (const pdb of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
          expect(
            selects(
              (pdb as K8sObject & { spec: { selector: { matchLabels: Record<string, string> } } })
                .spec.selector.matchLabels,
            ),
          ).toBe(true);
        }
      },
    );

    it.each(PROFILES)(
      '%s: autoscaling on lag (KEDA) or CPU (HPA) within the partition count',
      (profile) => {
        const objects = objectsOf(chart, profile);
        const deployment = one<Deployment>(objects, 'Deployment');
        const data = configData(objects, deployment);
        const catalog = buildTopicCatalog({
          prefix: data['KAFKA_TOPIC_PREFIX']!,
          partitions: Number(data['KAFKA_TOPIC_PARTITIONS']),
          auxPartitions: Number(data['KAFKA_TOPIC_AUX_PARTITIONS']),
        });
        const access = serviceAccess(catalog.names)[chart as Deployable];
        for (const scaled of objects.filter((o) => o.kind === 'ScaledObject')) {
          const spec = (
            scaled as K8sObject & {
              spec: {
                scaleTargetRef: { name: string };
                minReplicaCount: number;
                maxReplicaCount: number;
                triggers: Trigger[];
              };
            }
          ).spec;
          expect(spec.scaleTargetRef.name).toBe(deployment.metadata.name);
          expect(deployment.spec.replicas).toBeUndefined();
          expect(spec.triggers.length).toBeGreaterThan(0);
          for (const trigger of spec.triggers) {
            expect(trigger.type).toBe('kafka');
            const topic = catalog.get(trigger.metadata['topic']!);
            expect(topic).toBeDefined();
            expect(access.reads).toContain(topic!.name);
            expect(spec.maxReplicaCount).toBeLessThanOrEqual(topic!.partitions);
            expect(spec.minReplicaCount).toBeLessThanOrEqual(spec.maxReplicaCount);
            expect(trigger.metadata['consumerGroup']!.startsWith(access.groupPrefix)).toBe(true);
            expect(trigger.metadata['bootstrapServers']).toBe(data['KAFKA_BROKERS']);
            expect(Number(trigger.metadata['lagThreshold'])).toBeGreaterThan(0);
          }
        }
        for (const hpa of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
          const spec = (
            hpa as K8sObject & {
              spec: { scaleTargetRef: { name: string }; metrics: { resource: { name: string } }[] };
            }
          ).spec;
          expect(chart).toBe('ingest');
          expect(spec.scaleTargetRef.name).toBe(deployment.metadata.name);
          expect(spec.metrics.map((m) => m.resource.name)).toEqual(['cpu']);
        }
      },
    );
  },
);

describe('Helm charts: what must fail does fail', () => {
  const fails = (chart: string, set: string) => {
    const result = helm(['template', 'rel', join(charts.dir, chart), '--set', set]);
    return [result.code === 0 ? 'rendered' : 'failed', result.stderr];
  };

  it('a grace period not longer than the shutdown budget', () => {
    expect(fails('notifier', 'terminationGracePeriodSeconds=20')).toEqual([
      'failed',
      expect.stringContaining('terminationGracePeriodSeconds'),
    ]);
  });

  it('more consumers than partitions', () => {
    expect(fails('dedupe', 'autoscaling.maxReplicas=7')).toEqual([
      'failed',
      expect.stringContaining('exceeds the partitions'),
    ]);
  });

  it('a secret value put into the ConfigMap', () => {
    expect(fails('ingest', 'config.INGEST_API_KEYS=acme:0123456789abcdef')).toEqual([
      'failed',
      expect.stringContaining('looks like a secret'),
    ]);
  });

  it('an object the schema rejects is reported by the validator', () => {
    const deployment = structuredClone(
      one<Deployment>(objectsOf('dedupe', 'production'), 'Deployment'),
    );
    (deployment.spec as Record<string, unknown>)['replicas'] = 'two';
    const [result] = validateK8sObjects([deployment]);
    expect(result!.errors).toEqual([expect.stringContaining('/spec/replicas')]);
  });
});

describe('Helm charts: each service installs alone', () => {
  it.each(CHART_SERVICES.map((s) => s.name))(
    '%s: packages with its library chart and renders from the package',
    (chart) => {
      const out = tempDir('deploy-checks-pkg-');
      const packaged = helm(['package', join(charts.dir, chart), '--destination', out]);
      expect([packaged.code, packaged.stderr]).toEqual([0, '']);
      const archive = packaged.stdout.trim().split(' ').pop()!;
      expect(archive).toMatch(new RegExp(`${chart}-\\d+\\.\\d+\\.\\d+\\.tgz$`));
      const result = helm(['template', chart, archive, '--namespace', 'solo']);
      expect([result.code, result.stderr]).toEqual([0, '']);
      expect(result.stdout).toContain('kind: Deployment');
    },
  );
});

describe('Helm charts: optional features render valid objects', () => {
  it("ingest: a webhook sources file from configFiles and the sources' secrets from envFromSecret", async () => {
    const dir = tempDir('deploy-checks-values-');
    const file = join(dir, 'sources.yaml');
    const sources = {
      sources: {
        github: {
          tenant: 'acme',
          scheme: 'github',
          secret_env: 'INGEST_SECRET_GITHUB',
          routes: { pull_request: { instruction: 'Summarise.' } },
        },
      },
    };
    writeFileSync(
      file,
      [
        'configFiles:',
        '  - name: sources.json',
        '    env: INGEST_SOURCES_FILE',
        `    content: '${JSON.stringify(sources)}'`,
        'secrets:',
        '  envFromSecret: ingest-webhook-secrets',
      ].join('\n'),
    );
    const objects = renderChart(join(charts.dir, 'ingest'), 'production', ['-f', file]);
    expect(validateK8sObjects(objects).filter((r) => r.errors.length > 0)).toEqual([]);
    const deployment = one<Deployment>(objects, 'Deployment');
    const data = configData(objects, deployment);
    expect(data['INGEST_SOURCES_FILE']).toBe('/etc/config/sources.json');
    const files = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-files'),
    ) as (K8sObject & { data: Record<string, string> }) | undefined;
    expect(JSON.parse(files!.data['sources.json']!)).toEqual(sources);
    const container = deployment.spec.template.spec.containers[0]!;
    expect(container.envFrom).toContainEqual({ secretRef: { name: 'ingest-webhook-secrets' } });
    const env = await serviceEnv(CHART_SERVICES.find((s) => s.name === 'ingest')!);
    expect(checkEnvNames(Object.keys(data), env).unknown).toEqual([]);
  });
});
