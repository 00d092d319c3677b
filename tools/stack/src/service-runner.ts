import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './paths.ts';
import type { ServiceSpec } from './services.ts';

/**
 * Runs one service as a child process the way its container does (the telemetry entry loaded
 * with `--import`, config from env), with its log lines prefixed by its name, and waits until
 * its `/readyz` answers 200. A service that exits or never gets ready fails the start.
 */
export interface RunningService {
  spec: ServiceSpec;
  child: ChildProcess;
  stop(timeoutMs?: number): Promise<void>;
}

const COLORS = [36, 35, 33, 32, 34, 31, 96];

export interface StartServiceOptions {
  /** Receives every output line (without the prefix) instead of the terminal. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Environment applied last (over the spec's). */
  env?: Record<string, string>;
}

/**
 * A service's process environment: the caller's, the telemetry defaults, the spec's own, its
 * port, then `extra` (e.g. `linkedEnv`) over everything.
 */
export function serviceEnv(
  spec: ServiceSpec,
  baseEnv: NodeJS.ProcessEnv,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return {
    ...baseEnv,
    OTEL_SERVICE_NAME: spec.name,
    OTEL_EXPORTER_OTLP_ENDPOINT:
      baseEnv['OTEL_EXPORTER_OTLP_ENDPOINT'] ??
      `http://127.0.0.1:${baseEnv['JAEGER_OTLP_HTTP_PORT'] ?? '4318'}`,
    LOG_PRETTY: baseEnv['LOG_PRETTY'] ?? (process.stdout.isTTY ? 'true' : 'false'),
    ...spec.env,
    [spec.portEnv]: String(spec.port),
    ...extra,
  };
}

export function startService(
  spec: ServiceSpec,
  index: number,
  baseEnv: NodeJS.ProcessEnv,
  options: StartServiceOptions = {},
): RunningService {
  const env = serviceEnv(spec, baseEnv, options.env);
  const child = spawn(
    process.execPath,
    [
      '--conditions=@claude-pipeline/source',
      '--import',
      '@claude-pipeline/telemetry/register',
      join(ROOT, 'apps', spec.name, 'src/main.ts'),
    ],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const prefix = `\u001b[${COLORS[index % COLORS.length]}m[${spec.name}]\u001b[0m `;
  const plainPrefix = `[${spec.name}] `;
  const forward = (stream: NodeJS.WriteStream, name: 'stdout' | 'stderr') => {
    let rest = '';
    return (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (options.onLine) options.onLine(line, name);
        else stream.write(`${stream.isTTY ? prefix : plainPrefix}${line}\n`);
      }
    };
  };
  child.stdout?.on('data', forward(process.stdout, 'stdout'));
  child.stderr?.on('data', forward(process.stderr, 'stderr'));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    spec,
    child,
    async stop(timeoutMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves when `/readyz` answers 200; rejects if the process exits first or on timeout. */
export async function waitReady(service: RunningService, timeoutMs = 60_000): Promise<void> {
  const url = `http://127.0.0.1:${service.spec.port}/readyz`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (service.child.exitCode !== null || service.child.signalCode !== null) {
      throw new Error(
        `${service.spec.name} exited (${service.child.exitCode ?? service.child.signalCode}) before it was ready`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`${service.spec.name} not ready at ${url} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
