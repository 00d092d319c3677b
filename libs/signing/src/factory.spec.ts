import { createHmac } from 'node:crypto';
import {
  DEFAULT_TOLERANCE_SECONDS,
  SigningConfigError,
  createSigner,
  createVerifier,
  generateStandardWebhookSecret,
} from './index.ts';
import type { SchemeConfig } from './index.ts';

const NOW = 1_700_000_000_000; // ms
const BODY = Buffer.from('{"hello":"world"}');

const CONFIGS: SchemeConfig[] = [
  { scheme: 'standard-webhooks', secrets: [generateStandardWebhookSecret()], now: () => NOW },
  { scheme: 'github', secrets: ['gh-secret'] },
  { scheme: 'stripe', secrets: ['whsec_stripe'], now: () => NOW },
  {
    scheme: 'hmac',
    secrets: ['generic'],
    header: 'x-sig',
    prefix: 'sha512=',
    encoding: 'base64',
    algorithm: 'sha512',
    timestamp: { header: 'x-ts' },
    now: () => NOW,
  },
];

describe('createVerifier / createSigner', () => {
  it.each(CONFIGS.map((config) => [config.scheme, config] as const))(
    '%s: what the signer signs, the verifier accepts',
    (scheme, config) => {
      const headers = createSigner(config).sign(BODY, { id: 'msg_1' });
      const result = createVerifier(config).verify(BODY, headers);
      expect(result.scheme).toBe(scheme);
      expect(result.secretIndex).toBe(0);
    },
  );

  it('a verifier reports the signed timestamp where the scheme has one', () => {
    const [standard, github, stripe, generic] = CONFIGS.map((config) =>
      createVerifier(config).verify(BODY, createSigner(config).sign(BODY, { id: 'msg_1' })),
    );
    expect(standard).toMatchObject({ id: 'msg_1', timestamp: NOW / 1000 });
    expect(github).toEqual({ scheme: 'github', secretIndex: 0 });
    expect(stripe).toMatchObject({ timestamp: NOW / 1000 });
    expect(generic).toMatchObject({ timestamp: NOW / 1000 });
  });

  it('the generic scheme signs `${timestamp}.${body}`', () => {
    const headers = createSigner(CONFIGS[3]!).sign(BODY);
    const expected = createHmac('sha512', 'generic')
      .update(`${NOW / 1000}.`)
      .update(BODY)
      .digest('base64');
    expect(headers).toEqual({ 'x-ts': String(NOW / 1000), 'x-sig': `sha512=${expected}` });
  });

  it('an unknown scheme is a config error', () => {
    const config = { scheme: 'svix', secrets: ['x'] } as unknown as SchemeConfig;
    expect(() => createVerifier(config)).toThrow(SigningConfigError);
    expect(() => createSigner(config)).toThrow(SigningConfigError);
  });

  it('a bad secret is a config error at construction, for signers too', () => {
    const config: SchemeConfig = { scheme: 'standard-webhooks', secrets: ['whsec_!!'] };
    expect(() => createVerifier(config)).toThrow(SigningConfigError);
    expect(() => createSigner(config)).toThrow(SigningConfigError);
  });

  it('a non-function clock is a config error', () => {
    const config = { scheme: 'stripe', secrets: ['s'], now: 5 } as unknown as SchemeConfig;
    expect(() => createVerifier(config)).toThrow(SigningConfigError);
  });

  it('the default tolerance is 5 minutes', () => {
    expect(DEFAULT_TOLERANCE_SECONDS).toBe(300);
  });

  it('the default clock is the real one', () => {
    const config: SchemeConfig = { scheme: 'stripe', secrets: ['whsec_x'] };
    const headers = createSigner(config).sign(BODY);
    expect(createVerifier(config).verify(BODY, headers).timestamp).toBeCloseTo(
      Date.now() / 1000,
      -1,
    );
  });
});
