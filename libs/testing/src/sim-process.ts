import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { waitFor } from './wait-for.ts';
import { workspaceRoot } from './workspace.ts';

/**
 * Starts `anthropic-sim` as its own process (as `npm start` and the containers run it) on a free
 * port, for tests of the services that call Claude. Point the SDK's `baseURL` at `url`; runtime
 * faults and stats are under `${url}/_sim/...` (admin on). `stop()` in `afterAll`.
 */
export interface SimProcess {
  url: string;
  port: number;
  /** POSTs a JSON body to an admin endpoint, e.g. `admin('/_sim/faults', {...})`. */
  admin(path: string, body?: unknown): Promise<unknown>;
  stats(): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startSimProcess(env: Record<string, string> = {}): Promise<SimProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--conditions=@claude-pipeline/source',
      join(workspaceRoot(), 'apps/anthropic-sim/src/main.ts'),
    ],
    {
      env: {
        ...process.env,
        OTEL_SDK_DISABLED: 'true',
        SIM_ADMIN_ENABLED: 'true',
        ...env,
        SIM_PORT: String(port),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`anthropic-sim exited: ${stderr}`);
      return (await fetch(`${url}/readyz`)).status === 200;
    },
    { timeoutMs: 30_000, description: 'anthropic-sim ready' },
  );
  const json = async (response: Response) => {
    const text = await response.text();
    if (!response.ok) throw new Error(`${response.status} ${text}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  };
  return {
    url,
    port,
    admin: async (path, body) =>
      json(
        await fetch(`${url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body ?? {}),
        }),
      ),
    stats: async () => json(await fetch(`${url}/_sim/stats`)),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
