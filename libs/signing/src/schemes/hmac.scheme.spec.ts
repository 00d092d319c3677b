import { createHmac } from 'node:crypto';
import { expectRejection } from '../../test/expect-rejection.ts';
import type { HmacConfig } from '../config.ts';
import { SigningConfigError } from '../errors.ts';
import { hmacSigner, hmacVerifier } from './hmac.scheme.ts';

const SECRET = 'shpss_generic_secret';
const BODY = Buffer.from('{"order":42}');
const T = 1_700_000_000; // unix seconds

// Shopify-like: base64 HMAC-SHA256 of the body, no prefix, no timestamp.
const SHOPIFY: HmacConfig = {
  scheme: 'hmac',
  secrets: [SECRET],
  header: 'X-Shopify-Hmac-Sha256',
  encoding: 'base64',
};

// Slack-like: `v0=<hex>` over `${timestamp}.${body}` with a timestamp header.
const TIMED: HmacConfig = {
  scheme: 'hmac',
  secrets: [SECRET],
  header: 'X-Signature',
  prefix: 'v0=',
  encoding: 'hex',
  timestamp: { header: 'X-Request-Timestamp' },
  now: () => T * 1000,
};

const mac = (algorithm: string, parts: (string | Uint8Array)[], secret = SECRET) => {
  const h = createHmac(algorithm, secret);
  for (const part of parts) h.update(part);
  return h.digest();
};

const timed = (body: Uint8Array = BODY, t: number | string = T, secret = SECRET) => ({
  'x-request-timestamp': String(t),
  'x-signature': 'v0=' + mac('sha256', [`${t}.`, body], secret).toString('hex'),
});

describe('generic hmac', () => {
  it('a base64 body signature verifies', () => {
    const value = mac('sha256', [BODY]).toString('base64');
    expect(hmacVerifier(SHOPIFY).verify(BODY, { 'x-shopify-hmac-sha256': value })).toEqual({
      scheme: 'hmac',
      secretIndex: 0,
    });
  });

  it('signing a body-only scheme gives the independent digest', () => {
    expect(hmacSigner(SHOPIFY).sign(BODY)).toEqual({
      'x-shopify-hmac-sha256': mac('sha256', [BODY]).toString('base64'),
    });
  });

  it('a timestamped signature verifies and reports the timestamp', () => {
    expect(hmacVerifier(TIMED).verify(BODY, timed())).toEqual({
      scheme: 'hmac',
      timestamp: T,
      secretIndex: 0,
    });
  });

  it('signing a timestamped scheme gives both headers', () => {
    expect(hmacSigner(TIMED).sign(BODY)).toEqual(timed());
  });

  it.each([
    ['sha1', 'hex'],
    ['sha1', 'base64'],
    ['sha512', 'hex'],
    ['sha512', 'base64'],
  ] as const)('%s in %s verifies', (algorithm, encoding) => {
    const config: HmacConfig = { ...SHOPIFY, header: 'x-sig', algorithm, encoding };
    const value = mac(algorithm, [BODY]).toString(encoding);
    expect(hmacVerifier(config).verify(BODY, { 'x-sig': value }).secretIndex).toBe(0);
    expect(hmacSigner(config).sign(BODY)).toEqual({ 'x-sig': value });
  });

  it('rotation: a signature made with either listed secret passes', () => {
    const config = { ...TIMED, secrets: ['new', SECRET] };
    expect(hmacVerifier(config).verify(BODY, timed()).secretIndex).toBe(1);
    expect(hmacVerifier(config).verify(BODY, timed(BODY, T, 'new')).secretIndex).toBe(0);
  });

  it('a wrong signature fails without leaking the secret or the expected signature', () => {
    const expected = mac('sha256', [`${T}.`, BODY]).toString('hex');
    expectRejection(
      () => hmacVerifier(TIMED).verify(BODY, timed(BODY, T, 'guess')),
      'bad_signature',
      'x-signature',
      [SECRET, expected],
    );
  });

  it('a signature over another timestamp fails', () => {
    const h = { ...timed(), 'x-request-timestamp': String(T + 1) };
    expectRejection(() => hmacVerifier(TIMED).verify(BODY, h), 'bad_signature', 'x-signature');
  });

  it('a missing signature header fails', () => {
    expectRejection(
      () => hmacVerifier(SHOPIFY).verify(BODY, {}),
      'missing_header',
      'x-shopify-hmac-sha256',
    );
  });

  it('a missing timestamp header fails', () => {
    const { 'x-signature': signature } = timed();
    expectRejection(
      () => hmacVerifier(TIMED).verify(BODY, { 'x-signature': signature }),
      'missing_header',
      'x-request-timestamp',
    );
  });

  it.each([
    ['a wrong prefix', 'v1=' + '0'.repeat(64)],
    ['a digest of the wrong length', 'v0=' + '0'.repeat(40)],
  ])('a signature with %s is malformed', (_what, value) => {
    const h = { ...timed(), 'x-signature': value };
    expectRejection(() => hmacVerifier(TIMED).verify(BODY, h), 'malformed_header', 'x-signature');
  });

  it('a base64 signature of the wrong length is malformed', () => {
    const value = mac('sha256', [BODY]).toString('base64').slice(1);
    expectRejection(
      () => hmacVerifier(SHOPIFY).verify(BODY, { 'x-shopify-hmac-sha256': value }),
      'malformed_header',
    );
  });

  it('a timestamp that is not digits is malformed', () => {
    const h = { ...timed(), 'x-request-timestamp': 'now' };
    expectRejection(
      () => hmacVerifier(TIMED).verify(BODY, h),
      'malformed_header',
      'x-request-timestamp',
    );
  });

  it('old timestamp fails', () => {
    const config = { ...TIMED, now: () => (T + 301) * 1000 };
    expectRejection(
      () => hmacVerifier(config).verify(BODY, timed()),
      'timestamp_too_old',
      'x-request-timestamp',
    );
  });

  it('new timestamp fails', () => {
    const config = { ...TIMED, now: () => (T - 301) * 1000 };
    expectRejection(
      () => hmacVerifier(config).verify(BODY, timed()),
      'timestamp_too_new',
      'x-request-timestamp',
    );
  });

  it('the timestamp tolerance is configurable', () => {
    const config: HmacConfig = {
      ...TIMED,
      timestamp: { header: 'x-request-timestamp', toleranceSeconds: 30 },
      now: () => (T + 31) * 1000,
    };
    expectRejection(() => hmacVerifier(config).verify(BODY, timed()), 'timestamp_too_old');
  });

  it.each([
    ['an invalid header name', { header: 'bad header' }],
    ['an unknown algorithm', { algorithm: 'md5' }],
    ['an unknown encoding', { encoding: 'base32' }],
    ['a negative tolerance', { timestamp: { header: 'x-t', toleranceSeconds: -1 } }],
    ['an invalid timestamp header name', { timestamp: { header: '' } }],
    ['no secrets', { secrets: [] }],
  ])('a config with %s fails at construction', (_what, change) => {
    const config = { ...TIMED, ...change } as HmacConfig;
    expect(() => hmacVerifier(config)).toThrow(SigningConfigError);
    expect(() => hmacSigner(config)).toThrow(SigningConfigError);
  });
});
