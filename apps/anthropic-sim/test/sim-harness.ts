import Anthropic, { type ClientOptions } from '@anthropic-ai/sdk';
import { createLogger, createMetricsRegistry } from '@claude-pipeline/telemetry';
import { loadConfig } from '../src/config.ts';
import { startSim, type Sim } from '../src/sim.ts';

/**
 * Starts the sim in this process on a free port, with fast defaults for tests (no pacing, no
 * latency, admin on); `env` overrides them with the variables `main.ts` would read.
 */
export interface Harness {
  sim: Sim;
  url: string;
  /** The real SDK pointed at the sim (no retries unless asked). */
  client(options?: ClientOptions): Anthropic;
  /** JSON call to the sim's admin API. */
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Raw call to an API path with the usual headers. */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export const TEST_ENV: Readonly<Record<string, string>> = {
  SIM_HOST: '127.0.0.1',
  SIM_PORT: '0',
  SIM_ADMIN_ENABLED: 'true',
  SIM_TOKENS_PER_SECOND: '0',
  SIM_TTFT_MS: '0',
  SIM_BATCH_PROCESSING_MS: '200',
  SIM_BATCH_CANCEL_MS: '50',
};

export const MODEL = 'claude-sonnet-4-6';

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const sim = await startSim({
    config: loadConfig({ ...TEST_ENV, ...env }),
    logger: createLogger({ service: 'anthropic-sim-test', level: 'silent' }),
    registry: createMetricsRegistry({ service: 'anthropic-sim', defaultMetrics: false }),
  });
  const url = sim.url() ?? '';
  const api = (path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> => {
    const { json, headers, ...rest } = init;
    return fetch(`${url}${path}`, {
      ...(json === undefined ? {} : { method: 'POST', body: JSON.stringify(json) }),
      ...rest,
      headers: {
        'x-api-key': 'sim-key',
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
        ...(headers as Record<string, string> | undefined),
      },
    });
  };
  return {
    sim,
    url,
    client: (options = {}) =>
      new Anthropic({ apiKey: 'sim-key', baseURL: url, maxRetries: 0, ...options }),
    async admin<T>(method: string, path: string, body?: unknown): Promise<T> {
      const response = await fetch(`${url}${path}`, {
        method,
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return JSON.parse(text) as T;
    },
    api,
    close: () => sim.close(),
  };
}
