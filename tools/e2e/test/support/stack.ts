/**
 * The whole pipeline as processes, the way `npm start` runs it (same service list, same
 * environment, the telemetry entry loaded with `--import`), but isolated so the suite can run
 * beside anything else on the shared broker: its own topic prefix (so its own topics and
 * consumer groups), free ports, a temporary run directory. Every log line of every service is
 * kept (parsed when it is JSON) for the log assertions.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  catalogFromSettings,
  createKafka,
  kafkaSettingsFromEnv,
  provisionTopics,
  type TopicCatalog,
} from '@claude-pipeline/kafka';
import { freePort, uniqueName, workspaceRoot } from '@claude-pipeline/testing';
import {
  startService,
  waitReady,
  type RunningService,
} from '@claude-pipeline/stack/service-runner';
import { SERVICES, linkedEnv, type ServiceSpec } from '@claude-pipeline/stack/services';

export interface LogLine {
  service: string;
  /** Epoch ms at which the line was read. */
  at: number;
  raw: string;
  json?: Record<string, unknown>;
}

export interface E2EStack {
  prefix: string;
  catalog: TopicCatalog;
  /** Resolved port per service name. */
  ports: Record<string, number>;
  url(service: string): string;
  logs: LogLine[];
  /** Environment the services got (for CLI runs against this stack). */
  env: Record<string, string>;
  /**
   * SIGKILLs a service (when `kill`) or stops it, and starts it again; resolves once ready. A
   * service that already exited is just started again.
   */
  restart(service: string, how?: 'kill' | 'term'): Promise<void>;
  /** Whether the service's current process is alive. */
  isRunning(service: string): boolean;
  stop(): Promise<void>;
}

export interface E2EOptions {
  /** Extra environment per service name (applied last). */
  env?: Record<string, Record<string, string>>;
  /** Environment for every service. */
  common?: Record<string, string>;
}

const JAEGER_OTLP = `http://127.0.0.1:${process.env['JAEGER_OTLP_HTTP_PORT'] ?? '4318'}`;
export const JAEGER_QUERY = `http://127.0.0.1:${process.env['JAEGER_QUERY_PORT'] ?? '16686'}`;

/** Jaeger is part of the e2e contract: start it if needed (idempotent; cached build). */
export function ensureJaeger(): void {
  execFileSync('bash', [join(workspaceRoot(), 'deploy/local/jaeger/start.sh')], {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 30 * 60_000,
  });
}

export async function startE2EStack(options: E2EOptions = {}): Promise<E2EStack> {
  ensureJaeger();
  const prefix = uniqueName('e2e').replace(/-/g, '_');
  const runDir = mkdtempSync(join(tmpdir(), 'pipeline-e2e-'));
  const specs: ServiceSpec[] = [];
  const ports: Record<string, number> = {};
  for (const spec of SERVICES) {
    const port = await freePort();
    ports[spec.name] = port;
    specs.push({ ...spec, port });
  }
  const common: Record<string, string> = {
    KAFKA_TOPIC_PREFIX: prefix,
    OTEL_EXPORTER_OTLP_ENDPOINT: JAEGER_OTLP,
    // Spans leave at once, so the trace is complete when the callback arrives.
    OTEL_BSP_SCHEDULE_DELAY: '200',
    LOG_PRETTY: 'false',
    LOG_LEVEL: 'debug',
    PIPELINE_RUN_DIR: runDir,
    ...options.common,
  };
  const baseEnv = { ...process.env, ...common };
  delete baseEnv['ANTHROPIC_API_KEY'];

  const settings = kafkaSettingsFromEnv(baseEnv, { clientId: 'e2e-provision' });
  const catalog = catalogFromSettings(settings);
  const admin = createKafka({ settings }).admin();
  await admin.connect();
  try {
    await provisionTopics(admin, catalog.topics);
  } finally {
    await admin.disconnect();
  }

  const logs: LogLine[] = [];
  const running = new Map<string, RunningService>();
  const envFor = (spec: ServiceSpec) => ({
    ...linkedEnv(spec.name, ports),
    ...options.env?.[spec.name],
  });
  const launch = async (spec: ServiceSpec, index: number) => {
    const service = startService(spec, index, baseEnv, {
      env: envFor(spec),
      onLine: (raw) => {
        const line: LogLine = { service: spec.name, at: Date.now(), raw };
        if (raw.startsWith('{')) {
          try {
            line.json = JSON.parse(raw) as Record<string, unknown>;
          } catch {
            // not JSON after all
          }
        }
        logs.push(line);
      },
    });
    running.set(spec.name, service);
    await waitReady(service, 90_000).catch((error: unknown) => {
      const tail = logs
        .filter((l) => l.service === spec.name)
        .slice(-20)
        .map((l) => l.raw)
        .join('\n');
      throw new Error(`${String(error)}\n${tail}`, { cause: error });
    });
  };

  const stop = async () => {
    for (const service of [...running.values()].reverse()) await service.stop(15_000);
    rmSync(runDir, { recursive: true, force: true });
  };
  try {
    for (const [index, spec] of specs.entries()) await launch(spec, index);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    prefix,
    catalog,
    ports,
    url: (service) => `http://127.0.0.1:${ports[service] ?? 0}`,
    logs,
    env: Object.fromEntries(Object.entries(common)),
    async restart(name, how = 'term') {
      const index = specs.findIndex((s) => s.name === name);
      const spec = specs[index];
      const service = running.get(name);
      if (!spec || !service) throw new Error(`no service ${name}`);
      const alive = service.child.exitCode === null && service.child.signalCode === null;
      if (!alive) {
        // already gone (crashed, or an earlier start failed): start it again
      } else if (how === 'kill') {
        const exited = new Promise((resolve) => service.child.once('exit', resolve));
        service.child.kill('SIGKILL');
        await exited;
      } else {
        await service.stop(15_000);
      }
      await launch(spec, index);
    },
    isRunning(name) {
      const child = running.get(name)?.child;
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    stop,
  };
}
