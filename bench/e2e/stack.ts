/**
 * The whole pipeline as processes for the end-to-end benchmark, started the way `npm start`
 * runs it (the same service list, environment and `--import` of the telemetry entry, via
 * tools/stack's runner) but isolated like tools/e2e's `startE2EStack`: its own topic prefix
 * (so its own topics and consumer groups), free ports, a temporary run directory.
 *
 * Why not `startE2EStack` itself: the benchmark needs each service's pid (CPU and RSS from
 * /proc), quiet logs (`LOG_LEVEL=warn`: debug logging of every record would be what is
 * measured) and a sources file whose GitHub route carries the receiver's callback URL.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  catalogFromSettings,
  createKafka,
  kafkaSettingsFromEnv,
  provisionTopics,
  type TopicCatalog,
} from '@claude-pipeline/kafka';
import {
  startService,
  waitReady,
  type RunningService,
} from '@claude-pipeline/stack/service-runner';
import { SERVICES, linkedEnv, type ServiceSpec } from '@claude-pipeline/stack/services';
import { freePort, uniqueName, workspaceRoot } from '@claude-pipeline/testing';

export interface BenchStack {
  prefix: string;
  catalog: TopicCatalog;
  ports: Record<string, number>;
  url(service: string): string;
  /** Pid of each running service process (the node process itself, no wrapper). */
  pids(): Record<string, number>;
  /** The last log lines of each service (warnings and errors only at the default level). */
  tail(service: string, n?: number): string[];
  stop(): Promise<void>;
}

export interface BenchStackOptions {
  /** Environment for every service. */
  common?: Record<string, string>;
  /** Extra environment per service (applied last). */
  env?: Record<string, Record<string, string>>;
  /** Callback URL put on the sample GitHub `pull_request` route. */
  githubCallbackUrl: string;
}

/** The sample sources file with the GitHub route's callback pointed at the benchmark receiver. */
function sourcesFile(runDir: string, callbackUrl: string): string {
  const root = workspaceRoot();
  const sample = JSON.parse(
    readFileSync(join(root, 'apps/ingest/config/sources.sample.json'), 'utf8'),
  ) as { sources: Record<string, { routes: Record<string, Record<string, unknown>> }> };
  const route = sample.sources['github']?.routes['pull_request'];
  if (!route) throw new Error('sources.sample.json has no github pull_request route');
  route['callback_url'] = callbackUrl;
  const path = join(runDir, 'sources.json');
  writeFileSync(path, JSON.stringify(sample, null, 2));
  return path;
}

export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const prefix = uniqueName('bench_e2e').replace(/-/g, '_');
  const runDir = mkdtempSync(join(tmpdir(), 'pipeline-bench-e2e-'));
  const specs: ServiceSpec[] = [];
  const ports: Record<string, number> = {};
  for (const spec of SERVICES) {
    const port = await freePort();
    ports[spec.name] = port;
    specs.push({ ...spec, port });
  }
  const common: Record<string, string> = {
    KAFKA_TOPIC_PREFIX: prefix,
    LOG_PRETTY: 'false',
    LOG_LEVEL: 'warn',
    PIPELINE_RUN_DIR: runDir,
    ...options.common,
  };
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, ...common };
  delete baseEnv['ANTHROPIC_API_KEY'];
  const sources = sourcesFile(runDir, options.githubCallbackUrl);

  const settings = kafkaSettingsFromEnv(baseEnv, { clientId: 'bench-e2e-provision' });
  const catalog = catalogFromSettings(settings);
  const admin = createKafka({ settings }).admin();
  await admin.connect();
  try {
    await provisionTopics(admin, catalog.topics);
  } finally {
    await admin.disconnect();
  }

  const logs = new Map<string, string[]>();
  const running = new Map<string, RunningService>();
  const launch = async (spec: ServiceSpec, index: number) => {
    const lines: string[] = [];
    logs.set(spec.name, lines);
    const service = startService(spec, index, baseEnv, {
      env: {
        ...linkedEnv(spec.name, ports),
        ...(spec.name === 'ingest' ? { INGEST_SOURCES_FILE: sources } : {}),
        ...options.env?.[spec.name],
      },
      onLine: (raw) => {
        lines.push(raw);
        if (lines.length > 200) lines.shift();
      },
    });
    running.set(spec.name, service);
    await waitReady(service, 120_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${lines.slice(-20).join('\n')}`, { cause: error });
    });
  };
  const stop = async () => {
    for (const service of [...running.values()].reverse()) await service.stop(15_000);
    rmSync(runDir, { recursive: true, force: true });
    // The broker is shared: the run's topics go with it (E2E_KEEP_TOPICS=1 keeps them).
    if (process.env['E2E_KEEP_TOPICS'] === '1') return;
    const cleanup = createKafka({ settings }).admin();
    try {
      await cleanup.connect();
      await cleanup.deleteTopics({ topics: catalog.topics.map((t) => t.name), timeout: 30_000 });
    } catch (error) {
      console.warn(`bench:e2e: could not delete the run's topics: ${String(error)}`);
    } finally {
      await cleanup.disconnect().catch(() => undefined);
    }
  };
  try {
    for (const [index, spec] of specs.entries()) {
      if (spec.enabled && !spec.enabled(baseEnv)) continue;
      await launch(spec, index);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    prefix,
    catalog,
    ports,
    url: (service) => `http://127.0.0.1:${ports[service] ?? 0}`,
    pids: () =>
      Object.fromEntries(
        [...running.entries()]
          .filter(([, s]) => s.child.pid !== undefined && s.child.exitCode === null)
          .map(([name, s]) => [name, s.child.pid ?? 0]),
      ),
    tail: (service, n = 20) => (logs.get(service) ?? []).slice(-n),
    stop,
  };
}
