import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { checkEnvNames } from '../src/env-check.ts';
import { COMPOSE_FILE, ROOT } from '../src/paths.ts';
import { SERVICES, serviceEnv, shutdownBudgetMs } from '../src/services.ts';

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  secrets?: string[];
  user?: string;
  read_only?: boolean;
  stop_grace_period?: string;
}
interface Compose {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file: string }>;
}

const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as Compose;
const services = compose.services;

const seconds = (text: string) => {
  const match = /^(\d+)(s|m)$/.exec(text);
  if (!match) throw new Error(`unexpected duration ${text}`);
  return Number(match[1]) * (match[2] === 'm' ? 60 : 1);
};

describe('docker-compose.yml', () => {
  it('has Kafka, Jaeger, topic provisioning, the sim and every service', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['kafka', 'jaeger', 'topics', ...SERVICES.map((s) => s.name)].sort(),
    );
  });

  it('runs the Kafka version of the local broker (KRaft) and the Jaeger release of deploy/local', () => {
    const kafkaVersion = /KAFKA_VERSION="\$\{KAFKA_VERSION:-([0-9.]+)\}"/.exec(
      readFileSync(join(ROOT, 'deploy/local/kafka/common.sh'), 'utf8'),
    )?.[1];
    expect(kafkaVersion).toBeDefined();
    expect(services['kafka']!.image).toBe(`apache/kafka:${kafkaVersion}`);
    expect(services['kafka']!.environment!['KAFKA_PROCESS_ROLES']).toBe('broker,controller');
    const jaegerRelease = /JAEGER_RELEASE="v([0-9.]+)"/.exec(
      readFileSync(join(ROOT, 'deploy/local/jaeger/install.sh'), 'utf8'),
    )?.[1];
    expect(jaegerRelease).toBeDefined();
    expect(services['jaeger']!.image).toBe(`jaegertracing/jaeger:${jaegerRelease}`);
  });

  it('depends only on services that exist, with conditions they can meet', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const [target, { condition }] of Object.entries(svc.depends_on ?? {})) {
        expect([name, target, target in services]).toEqual([name, target, true]);
        const dependency = services[target]!;
        if (condition === 'service_healthy') {
          expect([name, target, dependency.healthcheck !== undefined]).toEqual([
            name,
            target,
            true,
          ]);
        } else if (condition === 'service_completed_successfully') {
          expect([name, target, dependency.restart]).toEqual([name, target, 'no']);
        } else {
          throw new Error(`${name} -> ${target}: unexpected condition ${condition}`);
        }
      }
    }
  });

  it('gives every long-running container a health check; every service waits for the topics', () => {
    for (const [name, svc] of Object.entries(services)) {
      if (name === 'topics') continue;
      expect([name, Array.isArray(svc.healthcheck?.test)]).toEqual([name, true]);
    }
    for (const { name } of SERVICES.filter((s) => s.chart)) {
      expect([name, services[name]!.depends_on?.['topics']?.condition]).toEqual([
        name,
        'service_completed_successfully',
      ]);
    }
    expect(services['topics']!.depends_on?.['kafka']?.condition).toBe('service_healthy');
  });

  it('provisions topics with the catalog script that the image contains (libs/kafka build output)', () => {
    const entry = services['topics']!.command!.find((arg) => arg.endsWith('.js'))!;
    expect(entry).toBe('libs/kafka/dist/bin/provision-topics.js');
    expect(existsSync(join(ROOT, 'libs/kafka/src/bin/provision-topics.ts'))).toBe(true);
  });

  it.each(SERVICES.map((s) => [s.name, s] as const))(
    '%s: builds its Dockerfile, health-checks its own port and runs as the image user',
    (name, spec) => {
      const svc = services[name]!;
      expect(svc.build?.dockerfile).toBe(`apps/${name}/Dockerfile`);
      expect(existsSync(join(ROOT, svc.build!.context, svc.build!.dockerfile))).toBe(true);
      expect(svc.healthcheck!.test.join(' ')).toContain(`127.0.0.1:${spec.port}/readyz`);
      expect(svc.user).toBe('1000:1000');
      expect(svc.read_only).toBe(true);
      expect(svc.environment?.['OTEL_SERVICE_NAME']).toBe(name);
    },
  );

  it.each(SERVICES.map((s) => [s.name, s] as const))(
    "%s: every variable is one the service reads, and its schema's required ones are set",
    async (name, spec) => {
      const env = await serviceEnv(spec);
      expect(checkEnvNames(Object.keys(services[name]!.environment ?? {}), env)).toEqual({
        unknown: [],
        missing: [],
      });
    },
  );

  it.each(SERVICES.filter((s) => s.chart).map((s) => [s.name, s] as const))(
    '%s: parses its compose settings with its own config schema, and stops within the grace period',
    async (name, spec) => {
      const env = await serviceEnv(spec);
      const values = { ...services[name]!.environment };
      // ${VAR:-default} interpolation: the default is what compose passes when VAR is unset.
      for (const [key, value] of Object.entries(values)) {
        values[key] = value.replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');
      }
      const parsed = env.schema.safeParse(values);
      expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
      const budget = shutdownBudgetMs(spec, env, values);
      expect(seconds(services[name]!.stop_grace_period!) * 1000).toBeGreaterThan(budget.ms);
    },
  );

  it('mounts the secrets it references from files that exist, and the notifier can read them', async () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const secret of svc.secrets ?? []) {
        const file = compose.secrets?.[secret]?.file;
        expect([name, secret, file !== undefined && existsSync(join(ROOT, file))]).toEqual([
          name,
          secret,
          true,
        ]);
      }
    }
    const file = compose.secrets!['notifier-tenant-secrets']!.file;
    const { loadConfig } = (await import(join(ROOT, 'apps/notifier/src/config.ts'))) as {
      loadConfig(env: Record<string, string>): { tenantSecrets: ReadonlyMap<string, unknown> };
    };
    const config = loadConfig({ NOTIFIER_TENANT_SECRETS_FILE: join(ROOT, file) });
    expect([...config.tenantSecrets.keys()]).toEqual(['demo']);
  });
});
