import { SigningConfigError } from './errors.ts';
import { generateStandardWebhookSecret, hmacKey, standardWebhookKey } from './secrets.ts';

const BASE64 = 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('secrets', () => {
  it('a whsec_ secret is the base64 after the prefix', () => {
    expect(standardWebhookKey(`whsec_${BASE64}`, 0)).toEqual(Buffer.from(BASE64, 'base64'));
  });

  it('a bare base64 secret is accepted like the reference library does', () => {
    expect(standardWebhookKey(BASE64, 0)).toEqual(Buffer.from(BASE64, 'base64'));
  });

  it('raw bytes are the key as they are', () => {
    expect(standardWebhookKey(new Uint8Array([1, 2, 3]), 0)).toEqual(Buffer.from([1, 2, 3]));
  });

  it.each([
    ['stray characters', 'whsec_abc$def'],
    ['a non-canonical tail', 'whsec_QR=='],
    ['nothing after the prefix', 'whsec_'],
    ['an empty string', ''],
  ])('a Standard Webhooks secret with %s is a config error', (_what, secret) => {
    expect(() => standardWebhookKey(secret, 0)).toThrow(SigningConfigError);
  });

  it('a config error names the position, never the secret', () => {
    const secret = 'whsec_not*valid*base64*TOPSECRET';
    try {
      standardWebhookKey(secret, 3);
      throw new Error('expected a config error');
    } catch (error) {
      expect(error).toBeInstanceOf(SigningConfigError);
      expect((error as Error).message).toContain('secrets[3]');
      expect((error as Error).message).not.toContain('TOPSECRET');
    }
  });

  it('an HMAC secret string is its UTF-8 bytes', () => {
    expect(hmacKey('clé', 0)).toEqual(Buffer.from('clé', 'utf8'));
  });

  it('an empty or non-string HMAC secret is a config error', () => {
    expect(() => hmacKey('', 0)).toThrow(SigningConfigError);
    expect(() => hmacKey(new Uint8Array(0), 0)).toThrow(SigningConfigError);
    expect(() => hmacKey(42, 0)).toThrow(SigningConfigError);
  });

  it('a generated secret is whsec_ and 32 random bytes that parse back', () => {
    const secret = generateStandardWebhookSecret();
    expect(secret.startsWith('whsec_')).toBe(true);
    expect(standardWebhookKey(secret, 0)).toHaveLength(32);
    expect(generateStandardWebhookSecret()).not.toBe(secret);
  });

  it('a generated secret outside 24..64 bytes is refused', () => {
    expect(() => generateStandardWebhookSecret(16)).toThrow(SigningConfigError);
    expect(() => generateStandardWebhookSecret(65)).toThrow(SigningConfigError);
  });
});
