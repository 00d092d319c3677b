import { IngestConfigError } from '../errors.ts';
import { loadConfig } from './env.config.ts';

const STREAM_SECRET = 'stream-secret-0123456789abcdef0123456789';
/** Every replica needs the shared stream token key outside dev mode. */
const load = (env: Record<string, string>) =>
  loadConfig({ INGEST_STREAM_TOKEN_SECRETS: STREAM_SECRET, ...env });

const expectConfigError = (env: Record<string, string>, ...parts: string[]) => {
  let error: unknown;
  try {
    load(env);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(IngestConfigError);
  for (const part of parts) expect((error as Error).message).toContain(part);
  return (error as Error).message;
};

describe('loadConfig', () => {
  it('has defaults for everything', () => {
    const config = load({});
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      publicUrl: undefined,
      apiKeys: [],
      sources: [],
      bodyLimitBytes: 1024 * 1024,
      publishTimeoutMs: 5000,
      defaults: { maxTokens: 1024, taskClass: 'default' },
      statusGroupId: undefined,
    });
    expect(config.kafka.clientId).toBe('ingest');
    expect(config.kafka.topicPrefix).toBe('pipeline');
  });

  it('treats empty variables as unset', () => {
    expect(load({ INGEST_PORT: '', INGEST_PUBLIC_URL: ' ' }).port).toBe(8080);
  });

  it('reads API keys as tenant:key pairs', () => {
    const config = load({
      INGEST_API_KEYS: 'acme:acme-key-0123456789, globex:globex-key-0123456789',
    });
    expect(config.apiKeys).toEqual([
      { tenant: 'acme', key: 'acme-key-0123456789' },
      { tenant: 'globex', key: 'globex-key-0123456789' },
    ]);
  });

  it('names the variable and the entry of a bad API key, never the key', () => {
    const message = expectConfigError(
      { INGEST_API_KEYS: 'acme:acme-key-0123456789,globex:short' },
      'INGEST_API_KEYS',
      'entry 2',
      'shorter than 16',
    );
    expect(message).not.toContain('short,');
    expect(message).not.toContain('acme-key-0123456789');
    expectConfigError({ INGEST_API_KEYS: 'no-colon-here-0123456789' }, 'entry 1');
    expectConfigError(
      { INGEST_API_KEYS: 'a:same-key-0123456789,b:same-key-0123456789' },
      'listed twice',
    );
  });

  it('names each bad variable', () => {
    expectConfigError(
      { INGEST_PORT: 'eighty', INGEST_BODY_LIMIT_BYTES: '-1', INGEST_PUBLIC_URL: 'ftp://x' },
      'INGEST_PORT',
      'INGEST_BODY_LIMIT_BYTES',
      'INGEST_PUBLIC_URL',
    );
    expectConfigError({ INGEST_DEFAULT_TASK_CLASS: 'Not Valid' }, 'INGEST_DEFAULT_TASK_CLASS');
  });

  it('reports a bad Kafka variable as a config error naming it', () => {
    expectConfigError({ KAFKA_BROKERS: 'not a broker' }, 'KAFKA_BROKERS');
  });

  it('names the sources file it cannot read', () => {
    expectConfigError({ INGEST_SOURCES_FILE: '/nonexistent/sources.json' }, 'INGEST_SOURCES_FILE');
  });

  it('drops a trailing slash of the public URL', () => {
    expect(load({ INGEST_PUBLIC_URL: 'https://api.example.com/' }).publicUrl).toBe(
      'https://api.example.com',
    );
  });

  describe('stream settings', () => {
    it('has defaults, with the shared token key from the environment', () => {
      const config = load({});
      expect(config.devMode).toBe(false);
      expect(config.stream).toEqual({
        tokenSecrets: [STREAM_SECRET],
        tokenSecretGenerated: false,
        tokenTtlMs: 900_000,
        heartbeatMs: 15_000,
        maxClients: 10_000,
        maxDurationMs: 900_000,
        replayWaitMs: 5_000,
        maxBufferedBytes: 1024 * 1024,
        groupId: undefined,
      });
    });

    it('reads several token keys for rotation, the first one signing', () => {
      const old = 'old-stream-secret-0123456789abcdef01234';
      const config = load({ INGEST_STREAM_TOKEN_SECRETS: ` ${STREAM_SECRET} , ${old}` });
      expect(config.stream.tokenSecrets).toEqual([STREAM_SECRET, old]);
    });

    it('refuses to start without a token key outside dev mode', () => {
      let error: unknown;
      try {
        loadConfig({});
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(IngestConfigError);
      expect((error as Error).message).toContain('INGEST_STREAM_TOKEN_SECRETS');
    });

    it('generates a key in dev mode only, and says so', () => {
      const config = loadConfig({ INGEST_DEV_MODE: 'true' });
      expect(config.devMode).toBe(true);
      expect(config.stream.tokenSecretGenerated).toBe(true);
      expect(config.stream.tokenSecrets[0]).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(loadConfig({ INGEST_DEV_MODE: 'true' }).stream.tokenSecrets[0]).not.toBe(
        config.stream.tokenSecrets[0],
      );
    });

    it('names a short token key without showing it', () => {
      const message = expectConfigError(
        { INGEST_STREAM_TOKEN_SECRETS: `${STREAM_SECRET},tooshort` },
        'INGEST_STREAM_TOKEN_SECRETS',
        'entry 2',
      );
      expect(message).not.toContain('tooshort');
      expect(message).not.toContain(STREAM_SECRET);
    });

    it('rejects a dev mode flag that is not a boolean', () => {
      expectConfigError({ INGEST_DEV_MODE: 'maybe' }, 'INGEST_DEV_MODE');
    });
  });
});
