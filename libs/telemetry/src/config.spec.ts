import {
  DEFAULT_OTLP_ENDPOINT,
  loggerSettingsFromEnv,
  telemetryDisabledInEnv,
  telemetrySettingsFromEnv,
} from './config.ts';
import { TelemetryConfigError } from './errors.ts';

describe('telemetrySettingsFromEnv', () => {
  it('exports to the local Jaeger over IPv4 when no endpoint is set', () => {
    expect(DEFAULT_OTLP_ENDPOINT).toBe('http://127.0.0.1:4318');
    expect(telemetrySettingsFromEnv({})).toEqual({
      disabled: false,
      tracesUrl: 'http://127.0.0.1:4318/v1/traces',
      batch: {},
    });
  });

  it('appends /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    expect(
      telemetrySettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318/' }).tracesUrl,
    ).toBe('http://jaeger:4318/v1/traces');
  });

  it('uses OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, over the base endpoint', () => {
    const settings = telemetrySettingsFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example/otlp/traces',
    });
    expect(settings.tracesUrl).toBe('https://collector.example/otlp/traces');
  });

  it('reads the service name, the kill switch and batch settings', () => {
    expect(
      telemetrySettingsFromEnv({
        OTEL_SERVICE_NAME: ' notifier ',
        OTEL_SDK_DISABLED: 'TRUE',
        OTEL_BSP_SCHEDULE_DELAY: '500',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '64',
      }),
    ).toMatchObject({
      serviceName: 'notifier',
      disabled: true,
      batch: { scheduledDelayMillis: 500, maxExportBatchSize: 64 },
    });
  });

  it('treats empty variables as unset', () => {
    expect(
      telemetrySettingsFromEnv({ OTEL_SERVICE_NAME: '', OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }),
    ).toEqual(telemetrySettingsFromEnv({}));
  });

  it('fails with a config error naming each malformed variable', () => {
    const read = () =>
      telemetrySettingsFromEnv({ OTEL_SDK_DISABLED: 'yes', OTEL_BSP_SCHEDULE_DELAY: '-1' });
    expect(read).toThrow(TelemetryConfigError);
    expect(read).toThrow(/OTEL_SDK_DISABLED[\s\S]*OTEL_BSP_SCHEDULE_DELAY/);
  });
});

describe('telemetryDisabledInEnv', () => {
  it('is true only for "true", in any case, and never throws', () => {
    expect(telemetryDisabledInEnv({ OTEL_SDK_DISABLED: ' True ' })).toBe(true);
    expect(telemetryDisabledInEnv({ OTEL_SDK_DISABLED: 'false' })).toBe(false);
    expect(telemetryDisabledInEnv({ OTEL_SDK_DISABLED: 'garbage' })).toBe(false);
    expect(telemetryDisabledInEnv({})).toBe(false);
  });
});

describe('loggerSettingsFromEnv', () => {
  it('defaults to info, JSON', () => {
    expect(loggerSettingsFromEnv({})).toEqual({ level: 'info', pretty: false });
  });

  it('reads LOG_LEVEL and LOG_PRETTY', () => {
    expect(loggerSettingsFromEnv({ LOG_LEVEL: 'DEBUG', LOG_PRETTY: 'true' })).toEqual({
      level: 'debug',
      pretty: true,
    });
  });

  it('rejects an unknown level, naming the variable', () => {
    expect(() => loggerSettingsFromEnv({ LOG_LEVEL: 'verbose' })).toThrow(/LOG_LEVEL/);
  });
});
