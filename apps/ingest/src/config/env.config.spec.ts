import { IngestConfigError } from '../errors.ts';
import { loadConfig } from './env.config.ts';

const expectConfigError = (env: Record<string, string>, ...parts: string[]) => {
  let error: unknown;
  try {
    loadConfig(env);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(IngestConfigError);
  for (const part of parts) expect((error as Error).message).toContain(part);
  return (error as Error).message;
};

describe('loadConfig', () => {
  it('has defaults for everything', () => {
    const config = loadConfig({});
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
    expect(loadConfig({ INGEST_PORT: '', INGEST_PUBLIC_URL: ' ' }).port).toBe(8080);
  });

  it('reads API keys as tenant:key pairs', () => {
    const config = loadConfig({
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
    expect(loadConfig({ INGEST_PUBLIC_URL: 'https://api.example.com/' }).publicUrl).toBe(
      'https://api.example.com',
    );
  });
});
