import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { COMPOSE_FILE, HELM_DIR } from '../src/paths.ts';
import { findSecretValues } from '../src/secrets.ts';
import { CHART_SERVICES, serviceEnv } from '../src/services.ts';

interface ChartYaml {
  apiVersion: string;
  name: string;
  type?: string;
  version: string;
  appVersion?: string;
  dependencies?: { name: string; version: string; repository: string }[];
}

const readYaml = <T>(path: string): T => parse(readFileSync(path, 'utf8')) as T;
const charts = CHART_SERVICES.map((s) => s.name);
const lib = readYaml<ChartYaml>(join(HELM_DIR, 'pipeline-lib', 'Chart.yaml'));
const valuesFiles = charts.flatMap((chart) =>
  readdirSync(join(HELM_DIR, chart))
    .filter((f) => /^values(-[a-z]+)?\.yaml$/.test(f))
    .map((f) => [chart, f] as const),
);

describe('Helm charts (files)', () => {
  it('one thin chart per service plus the library chart, nothing else', () => {
    const dirs = readdirSync(HELM_DIR, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(dirs).toEqual([...charts, 'pipeline-lib'].sort());
    expect(lib).toMatchObject({ apiVersion: 'v2', type: 'library', name: 'pipeline-lib' });
  });

  it.each(charts)('%s: its own versioned chart, depending only on the library chart', (chart) => {
    const meta = readYaml<ChartYaml>(join(HELM_DIR, chart, 'Chart.yaml'));
    expect(meta).toMatchObject({ apiVersion: 'v2', name: chart, type: 'application' });
    expect(meta.version).toMatch(/^\d+\.\d+\.\d+$/);
    const appPkg = JSON.parse(
      readFileSync(join(HELM_DIR, '../../apps', chart, 'package.json'), 'utf8'),
    ) as { version: string };
    expect(meta.appVersion).toBe(appPkg.version);
    expect(meta.dependencies).toEqual([
      { name: 'pipeline-lib', version: lib.version, repository: 'file://../pipeline-lib' },
    ]);
    expect(readdirSync(join(HELM_DIR, chart, 'templates'))).toEqual(['manifests.tpl']);
  });

  it.each(charts)('%s: has the local, staging and production profiles', (chart) => {
    for (const profile of [
      'values.yaml',
      'values-local.yaml',
      'values-staging.yaml',
      'values-production.yaml',
    ]) {
      expect([profile, existsSync(join(HELM_DIR, chart, profile))]).toEqual([profile, true]);
    }
  });

  it.each(valuesFiles)(
    '%s/%s: holds no secret values, only references to Secrets',
    (chart, file) => {
      expect(findSecretValues(readYaml(join(HELM_DIR, chart, file)))).toEqual([]);
    },
  );

  it('the secret finder is real: it flags planted secrets and accepts references', () => {
    const planted = {
      config: { NOTIFIER_TENANT_SECRETS: '{"t":["x"]}', INGEST_SOURCES_FILE: '/etc/x' },
      kafka: { sasl: { password: 'hunter2', existingSecret: 'pipeline-ingest' } },
      otel: { endpoint: 'http://user:pa55@collector:4318' },
      notes: 'whsec_bG9jYWwtZGV2LW9ubHk=',
      secrets: { existingSecret: 'x', env: ['ANTHROPIC_API_KEY'] },
    };
    expect(
      findSecretValues(planted)
        .map((f) => f.path)
        .sort(),
    ).toEqual(['config.NOTIFIER_TENANT_SECRETS', 'kafka.sasl.password', 'notes', 'otel.endpoint']);
  });

  it.each(CHART_SERVICES.map((s) => [s.name, s] as const))(
    '%s: the port, the KEDA/HPA choice and the env names of values.yaml match the service',
    async (chart, spec) => {
      const values = readYaml<{
        app: { port: number; portEnv: string; hostEnv: string };
        config: Record<string, string>;
        secrets: { env: string[]; files: { env: string }[] };
        autoscaling: { mode: string };
      }>(join(HELM_DIR, chart, 'values.yaml'));
      expect(values.app.port).toBe(spec.port);
      const env = await serviceEnv(spec);
      const names = [
        values.app.portEnv,
        values.app.hostEnv,
        ...Object.keys(values.config),
        ...values.secrets.env,
        ...values.secrets.files.map((f) => f.env),
      ];
      expect(names.filter((n) => !env.known.has(n))).toEqual([]);
      // The listen port variable parses to the port the probes and Service use.
      expect(env.schema.shape[values.app.portEnv]!.parse(String(spec.port))).toBe(spec.port);
      expect(values.autoscaling.mode).toBe(chart === 'ingest' ? 'hpa' : 'keda');
    },
  );

  it.each(CHART_SERVICES.map((s) => s.name))(
    '%s: the chart and docker-compose.yml configure the service with the same names',
    (chart) => {
      const values = readYaml<{
        app: { portEnv: string; hostEnv: string };
        secrets: { env: string[]; files: { env: string }[] };
      }>(join(HELM_DIR, chart, 'values.yaml'));
      const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as {
        services: Record<string, { environment: Record<string, string> }>;
      };
      const composeEnv = Object.keys(compose.services[chart]!.environment);
      const chartNames = [
        values.app.portEnv,
        values.app.hostEnv,
        ...values.secrets.env,
        ...values.secrets.files.map((f) => f.env),
        'OTEL_SERVICE_NAME',
        'OTEL_EXPORTER_OTLP_ENDPOINT',
        'KAFKA_BROKERS',
        'KAFKA_TOPIC_PREFIX',
      ];
      expect(chartNames.filter((n) => !composeEnv.includes(n))).toEqual([]);
    },
  );
});
