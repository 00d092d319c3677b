import { envSchema, loadConfig, LOCAL_SIM_URL } from './config.ts';
import { BatchPollerConfigError } from './errors.ts';

describe('loadConfig', () => {
  it('has defaults for everything, derived from the topic prefix', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      groupId: 'pipeline.batch-poller',
      transactionalIdPrefix: 'pipeline.batch-poller',
      packing: { maxRequests: 10_000, maxBytes: 256 * 1024 * 1024, maxAgeMs: 60_000 },
      polling: { intervalMs: 60_000, maxIntervalMs: 600_000 },
      maxAttempts: 3,
      http: { host: '0.0.0.0', port: 8085 },
    });
    expect(config.kafka.clientId).toBe('batch-poller');
  });

  it('talks to the local anthropic-sim without a key, to the API with one', () => {
    expect(loadConfig({}).anthropic.baseURL).toBe(LOCAL_SIM_URL);
    const real = loadConfig({ ANTHROPIC_API_KEY: 'sk-ant-real' });
    expect(real.anthropic).toMatchObject({ apiKey: 'sk-ant-real', baseURL: undefined });
    const pointed = loadConfig({ ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: 'http://sim:4010' });
    expect(pointed.anthropic.baseURL).toBe('http://sim:4010');
  });

  it('reads every variable, treating empty ones as unset', () => {
    const config = loadConfig({
      KAFKA_TOPIC_PREFIX: 'staging',
      BATCH_POLLER_MAX_REQUESTS: '500',
      BATCH_POLLER_MAX_AGE: '5s',
      BATCH_POLLER_POLL_INTERVAL: '250ms',
      BATCH_POLLER_POLL_MAX_INTERVAL: '2s',
      BATCH_POLLER_MAX_ATTEMPTS: '5',
      BATCH_POLLER_TASK_CLASS_MODELS: 'summarize=claude-haiku-4-5, code=claude-opus-4-1',
      BATCH_POLLER_GROUP_ID: '',
    });
    expect(config).toMatchObject({
      groupId: 'staging.batch-poller',
      packing: { maxRequests: 500, maxAgeMs: 5000 },
      polling: { intervalMs: 250, maxIntervalMs: 2000 },
      maxAttempts: 5,
      taskClassModels: { summarize: 'claude-haiku-4-5', code: 'claude-opus-4-1' },
    });
  });

  it('refuses more than the API allows, naming the variable', () => {
    expect(() => loadConfig({ BATCH_POLLER_MAX_REQUESTS: '100001' })).toThrow(
      /BATCH_POLLER_MAX_REQUESTS/,
    );
    expect(() => loadConfig({ BATCH_POLLER_MAX_BYTES: String(300 * 1024 * 1024) })).toThrow(
      /BATCH_POLLER_MAX_BYTES/,
    );
  });

  it('fails on a bad duration or an inverted backoff', () => {
    expect(() => loadConfig({ BATCH_POLLER_MAX_AGE: 'soon' })).toThrow(BatchPollerConfigError);
    expect(() =>
      loadConfig({ BATCH_POLLER_POLL_INTERVAL: '10m', BATCH_POLLER_POLL_MAX_INTERVAL: '1m' }),
    ).toThrow(/POLL_MAX_INTERVAL/);
  });

  it('never puts the API key in an error message', () => {
    try {
      loadConfig({ ANTHROPIC_API_KEY: 'sk-ant-secret', BATCH_POLLER_MAX_ATTEMPTS: 'x' });
      throw new Error('expected a config error');
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('sk-ant-secret');
    }
  });

  it('exports the env schema for deploy checks', () => {
    expect(Object.keys(envSchema.shape)).toEqual(
      expect.arrayContaining(['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'BATCH_POLLER_HTTP_PORT']),
    );
  });
});
