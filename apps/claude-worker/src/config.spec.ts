import { envSchema, loadConfig } from './config.ts';
import { isWorkerConfigError } from './errors.ts';

const base = { KAFKA_BROKERS: '127.0.0.1:9092' };

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (isWorkerConfigError(error)) return error.message;
    throw error;
  }
  throw new Error('expected a configuration error');
}

describe('config', () => {
  it('has defaults for everything and talks to the local sim without a key', () => {
    const config = loadConfig(base);
    expect(config.http.port).toBe(8083);
    expect(config.anthropic).toMatchObject({
      baseURL: 'http://127.0.0.1:4010',
      timeoutMs: 600_000,
    });
    expect(config.maxInFlight).toBe(256);
    expect(config.retry.delaysMs).toEqual([5_000, 60_000, 600_000]);
    expect(config.limits.defaults).toEqual({ rpm: 4_000, itpm: 2_000_000, otpm: 400_000 });
    expect(config.groupId).toBe('pipeline.claude-worker');
    expect(config.routing.routes['classify']).toBe('claude-haiku-4-5');
  });

  it('uses the API with a key, and the base URL given', () => {
    expect(loadConfig({ ...base, ANTHROPIC_API_KEY: 'sk-ant-x' }).anthropic.baseURL).toBe(
      'https://api.anthropic.com',
    );
    expect(
      loadConfig({ ...base, ANTHROPIC_API_KEY: 'sk-ant-x', ANTHROPIC_BASE_URL: 'http://sim:4010' })
        .anthropic.baseURL,
    ).toBe('http://sim:4010');
  });

  it('parses limits, routes, cache thresholds and retry delays', () => {
    const config = loadConfig({
      ...base,
      WORKER_RATE_LIMIT_RPM: '50',
      WORKER_RATE_LIMITS: '{"claude-haiku-4-5":{"otpm":1000}}',
      WORKER_MODEL_ROUTES: '{"triage":"claude-haiku-4-5"}',
      WORKER_CACHE_MIN_TOKENS: '{"*":2048}',
      WORKER_RETRY_DELAYS_MS: '100, 200',
      WORKER_ORDER_KEY: 'conversation_id',
    });
    expect(config.limits.defaults.rpm).toBe(50);
    expect(config.limits.perModel).toEqual({ 'claude-haiku-4-5': { otpm: 1000 } });
    expect(config.routing.routes).toEqual({ triage: 'claude-haiku-4-5' });
    expect(config.caching.thresholds).toEqual({ '*': 2048 });
    expect(config.retry.delaysMs).toEqual([100, 200]);
    expect(config.orderKey).toBe('conversation_id');
  });

  it('names every bad variable at once', () => {
    const message = problemsOf({
      ...base,
      WORKER_PORT: 'eighty',
      WORKER_RETRY_DELAYS_MS: '1,2,3,4',
      WORKER_MODEL_ROUTES: '{not json',
      WORKER_RATE_LIMIT_HEADROOM: '1.5',
    });
    expect(message).toContain('WORKER_PORT');
    expect(message).toContain('WORKER_RETRY_DELAYS_MS');
    expect(message).toContain('WORKER_MODEL_ROUTES');
    expect(message).toContain('WORKER_RATE_LIMIT_HEADROOM');
  });

  it('never repeats the API key in an error', () => {
    const message = problemsOf({ ...base, ANTHROPIC_API_KEY: 'sk-ant-secret', WORKER_PORT: '-1' });
    expect(message).not.toContain('sk-ant-secret');
  });

  it('exports the env schema for the deploy checks', () => {
    expect(Object.keys(envSchema.shape)).toEqual(
      expect.arrayContaining(['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'WORKER_MAX_IN_FLIGHT']),
    );
  });
});
