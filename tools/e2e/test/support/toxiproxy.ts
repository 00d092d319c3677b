/**
 * Toxiproxy (built by deploy/local/toxiproxy/install.sh) as a child process of the test, driven
 * over its HTTP API with fetch: one TCP proxy per upstream on a fixed listen port (a disabled
 * proxy that is enabled again must come back on the same port, because Kafka clients reconnect to
 * the broker's advertised address), and toxics (latency, timeout, reset_peer) on it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, waitFor, workspaceRoot } from '@claude-pipeline/testing';

/** A toxic as the API takes it (`attributes` depend on the type; see deploy/local/toxiproxy). */
export interface Toxic {
  name: string;
  type: 'latency' | 'timeout' | 'reset_peer' | 'bandwidth' | 'slow_close' | 'limit_data';
  stream?: 'upstream' | 'downstream';
  toxicity?: number;
  attributes: Record<string, number>;
}

export interface ToxiProxy {
  name: string;
  /** host:port clients connect to. */
  listen: string;
  addToxic(toxic: Toxic): Promise<void>;
  removeToxic(name: string): Promise<void>;
  /** Disabling closes every connection and the listener; enabling listens again. */
  setEnabled(enabled: boolean): Promise<void>;
}

export interface Toxiproxy {
  api: string;
  createProxy(name: string, upstream: string, listenPort: number): Promise<ToxiProxy>;
  stop(): Promise<void>;
}

const script = (name: string) => join(workspaceRoot(), 'deploy/local/toxiproxy', name);

/** Builds toxiproxy-server if needed (cached) and returns the binary's path. */
export function toxiproxyBinary(): string {
  execFileSync('bash', [script('install.sh')], {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 15 * 60_000,
  });
  return execFileSync('bash', [script('install.sh'), '--print-bin-path'], {
    encoding: 'utf8',
  }).trim();
}

async function call(api: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const init: RequestInit = { method, signal: AbortSignal.timeout(10_000) };
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`${api}${path}`, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`toxiproxy ${method} ${path}: ${response.status} ${text}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

export async function startToxiproxy(): Promise<Toxiproxy> {
  const bin = toxiproxyBinary();
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(bin, ['-host', '127.0.0.1', '-port', String(port)], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`toxiproxy-server exited (${child.exitCode})`);
      try {
        return (await fetch(`${api}/version`)).ok;
      } catch {
        return false;
      }
    },
    { timeoutMs: 20_000, intervalMs: 100, description: 'toxiproxy API' },
  );
  return {
    api,
    async createProxy(name, upstream, listenPort) {
      const listen = `127.0.0.1:${listenPort}`;
      await call(api, 'POST', '/proxies', { name, listen, upstream, enabled: true });
      return {
        name,
        listen,
        addToxic: async (toxic) => {
          await call(api, 'POST', `/proxies/${name}/toxics`, {
            stream: 'downstream',
            toxicity: 1,
            ...toxic,
          });
        },
        removeToxic: async (toxic) => {
          await call(api, 'DELETE', `/proxies/${name}/toxics/${toxic}`);
        },
        setEnabled: async (enabled) => {
          await call(api, 'POST', `/proxies/${name}`, { enabled });
        },
      };
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
