import { loadConfig } from './config.ts';
import { DedupeConfigError } from './errors.ts';

describe('loadConfig', () => {
  it('has defaults for everything, derived from the topic prefix', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      groupId: 'pipeline.dedupe',
      transactionalIdPrefix: 'pipeline.dedupe',
      windowMs: 7 * 24 * 60 * 60 * 1000,
      stateDir: '.run/dedupe/state',
      maxBatchRecords: 5000,
      expiry: { intervalMs: 60_000, batchSize: 1000 },
      http: { host: '0.0.0.0', port: 8082 },
    });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.kafka.clientId).toBe('dedupe');
  });

  it('reads every variable, treating empty ones as unset', () => {
    const config = loadConfig({
      KAFKA_TOPIC_PREFIX: 'staging',
      DEDUPE_WINDOW: '36h',
      DEDUPE_STATE_DIR: '/var/lib/dedupe',
      DEDUPE_MAX_BATCH_RECORDS: '500',
      DEDUPE_EXPIRY_INTERVAL: '5m',
      DEDUPE_HTTP_PORT: '9000',
      DEDUPE_GROUP_ID: '',
    });
    expect(config).toMatchObject({
      groupId: 'staging.dedupe',
      transactionalIdPrefix: 'staging.dedupe',
      windowMs: 36 * 3_600_000,
      stateDir: '/var/lib/dedupe',
      maxBatchRecords: 500,
      expiry: { intervalMs: 300_000 },
      http: { port: 9000 },
    });
  });

  it('fails naming each bad variable', () => {
    const attempt = () =>
      loadConfig({ DEDUPE_WINDOW: '7 days', DEDUPE_HTTP_PORT: '70000', DEDUPE_GROUP_ID: 'a b' });
    expect(attempt).toThrow(DedupeConfigError);
    expect(attempt).toThrow(/DEDUPE_WINDOW: expected a duration/);
    expect(attempt).toThrow(/DEDUPE_HTTP_PORT/);
    expect(attempt).toThrow(/DEDUPE_GROUP_ID/);
  });

  it('fails on a bad Kafka variable too', () => {
    expect(() => loadConfig({ KAFKA_BROKERS: 'no-port' })).toThrow(/KAFKA_BROKERS/);
  });
});
