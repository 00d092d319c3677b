import { KafkaConfigError } from './errors.ts';
import { kafkaSettingsFromEnv } from './config.ts';

describe('kafkaSettingsFromEnv', () => {
  it('defaults to the local broker', () => {
    const s = kafkaSettingsFromEnv({}, { clientId: 'svc' });
    expect(s).toMatchObject({
      brokers: ['127.0.0.1:9092'],
      clientId: 'svc',
      topicPrefix: 'pipeline',
      ssl: false,
    });
    expect(s.sasl).toBeUndefined();
  });

  it('parses a broker list, TLS and SASL', () => {
    const s = kafkaSettingsFromEnv(
      {
        KAFKA_BROKERS: 'b1:9093, b2:9093',
        KAFKA_SSL: 'true',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'ingest',
        KAFKA_SASL_PASSWORD: 'secret',
      },
      { clientId: 'svc' },
    );
    expect(s.brokers).toEqual(['b1:9093', 'b2:9093']);
    expect(s.ssl).toEqual({});
    expect(s.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'ingest', password: 'secret' });
  });

  it('names the variable that is wrong', () => {
    expect(() => kafkaSettingsFromEnv({ KAFKA_BROKERS: 'no-port' }, { clientId: 'x' })).toThrow(
      /KAFKA_BROKERS.*host:port/,
    );
    expect(() =>
      kafkaSettingsFromEnv({ KAFKA_SASL_MECHANISM: 'plain' }, { clientId: 'x' }),
    ).toThrow(KafkaConfigError);
    expect(() => kafkaSettingsFromEnv({ KAFKA_SSL: 'maybe' }, { clientId: 'x' })).toThrow(
      /KAFKA_SSL/,
    );
  });

  it('fails fast on an unreadable CA file', () => {
    expect(() =>
      kafkaSettingsFromEnv({ KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' }, { clientId: 'x' }),
    ).toThrow(/KAFKA_SSL_CA_FILE/);
  });
});
