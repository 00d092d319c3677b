import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateStandardWebhookSecret } from '@claude-pipeline/signing';
import { loadConfig } from './config.ts';
import { NotifierConfigError } from './errors.ts';

const secret = generateStandardWebhookSecret();
const base = { NOTIFIER_TENANT_SECRETS: JSON.stringify({ acme: [secret] }) };

function failure(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(NotifierConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('loadConfig', () => {
  it('has the defaults of the issue', () => {
    const config = loadConfig(base);
    expect(config.delivery.timeoutMs).toBe(10_000);
    expect(config.delivery.allowHttp).toBe(false);
    expect(config.delivery.allowCidrs).toEqual([]);
    expect(config.retry.delaysMs).toEqual([
      5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
    ]);
    expect(config.groupId).toBe('pipeline.notifier');
    expect(config.http.port).toBe(8084);
    expect(config.tenantSecrets.get('acme')).toEqual([secret]);
  });

  it('reads every knob', () => {
    const config = loadConfig({
      ...base,
      KAFKA_TOPIC_PREFIX: 't1',
      NOTIFIER_ALLOW_CIDRS: '127.0.0.0/8, ::1/128',
      NOTIFIER_ALLOW_HTTP: 'true',
      NOTIFIER_TIMEOUT_MS: '5000',
      NOTIFIER_RETRY_DELAYS_MS: '100,200',
      NOTIFIER_MAX_IN_FLIGHT: '50',
      NOTIFIER_PORT: '0',
    });
    expect(config.groupId).toBe('t1.notifier');
    expect(config.delivery).toMatchObject({
      allowHttp: true,
      allowCidrs: ['127.0.0.0/8', '::1/128'],
      timeoutMs: 5_000,
    });
    expect(config.retry.delaysMs).toEqual([100, 200]);
    expect(config.consumer.maxInFlight).toBe(50);
    expect(config.http.port).toBe(0);
  });

  it('reads the secrets from a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'notifier-'));
    const file = join(dir, 'secrets.json');
    writeFileSync(file, JSON.stringify({ beta: [secret, generateStandardWebhookSecret()] }));
    expect(
      loadConfig({ NOTIFIER_TENANT_SECRETS_FILE: file }).tenantSecrets.get('beta'),
    ).toHaveLength(2);
  });

  it('names every bad variable at once', () => {
    const message = failure({
      ...base,
      NOTIFIER_TIMEOUT_MS: 'soon',
      NOTIFIER_ALLOW_CIDRS: '10.0.0.0/40',
      NOTIFIER_RETRY_DELAYS_MS: '300,100',
      NOTIFIER_ALLOW_HTTP: 'maybe',
      KAFKA_BROKERS: 'not a broker',
    });
    for (const variable of [
      'NOTIFIER_TIMEOUT_MS',
      'NOTIFIER_ALLOW_CIDRS',
      'NOTIFIER_RETRY_DELAYS_MS',
      'NOTIFIER_ALLOW_HTTP',
      'KAFKA_BROKERS',
    ]) {
      expect(message).toContain(variable);
    }
  });

  it('requires tenant secrets', () => {
    expect(failure({})).toContain('NOTIFIER_TENANT_SECRETS: required');
  });

  it('never quotes a secret, even a malformed one', () => {
    const bad = 'whsec_not*base64';
    const messages = [
      failure({ NOTIFIER_TENANT_SECRETS: JSON.stringify({ acme: [secret, bad] }) }),
      failure({ NOTIFIER_TENANT_SECRETS: `{"acme": ["${secret}"` }),
      failure({ NOTIFIER_TENANT_SECRETS: JSON.stringify({ 'bad tenant': [secret] }) }),
    ];
    expect(messages[0]).toContain('tenant "acme": secrets[1]');
    expect(messages[1]).toContain('NOTIFIER_TENANT_SECRETS: is not valid JSON');
    expect(messages[2]).toContain('bad tenant');
    for (const message of messages) {
      expect(message).not.toContain(secret);
      expect(message).not.toContain(bad);
    }
  });
});
