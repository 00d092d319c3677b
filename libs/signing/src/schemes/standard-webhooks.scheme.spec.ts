import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { expectRejection } from '../../test/expect-rejection.ts';
import { SigningConfigError } from '../errors.ts';
import type { SecretInput } from '../webhook.types.ts';
import { standardWebhooksSigner, standardWebhooksVerifier } from './standard-webhooks.scheme.ts';

// Test vector of the reference library (standard-webhooks/standard-webhooks,
// libraries/javascript/src/webhook.test.ts, "sign function works"); checked against the
// `standardwebhooks` package below.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TS = 1614265330; // unix seconds
const BODY = Buffer.from('{"test": 2432232314}');
const EXPECTED = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
const AT_TS = () => TS * 1000;

/** Computed here with node:crypto, independently of the code under test. */
function sig(secret: string, id: string, ts: number, body: Uint8Array): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${ts}.`).update(body);
  return `v1,${mac.digest('base64')}`;
}

const headers = (signature: string, id = ID, ts: number | string = TS) => ({
  'webhook-id': id,
  'webhook-timestamp': String(ts),
  'webhook-signature': signature,
});

const verifier = (
  secrets: readonly SecretInput[] = [SECRET],
  now = AT_TS,
  toleranceSeconds?: number,
) =>
  standardWebhooksVerifier({
    scheme: 'standard-webhooks',
    secrets,
    now,
    ...(toleranceSeconds === undefined ? {} : { toleranceSeconds }),
  });

describe('standard webhooks', () => {
  it('the independent computation matches the reference test vector', () => {
    expect(sig(SECRET, ID, TS, BODY)).toBe(EXPECTED);
  });

  it('signing reproduces the reference test vector', () => {
    const signer = standardWebhooksSigner({ scheme: 'standard-webhooks', secrets: [SECRET] });
    expect(signer.sign(BODY, { id: ID, timestamp: TS })).toEqual(headers(EXPECTED));
  });

  it('the reference test vector verifies and reports id and timestamp', () => {
    expect(verifier().verify(BODY, headers(EXPECTED))).toEqual({
      scheme: 'standard-webhooks',
      id: ID,
      timestamp: TS,
      secretIndex: 0,
    });
  });

  it('headers are matched case-insensitively', () => {
    const mixed = {
      'Webhook-Id': ID,
      'WEBHOOK-TIMESTAMP': String(TS),
      'Webhook-Signature': EXPECTED,
    };
    expect(verifier().verify(BODY, mixed).id).toBe(ID);
  });

  it('a bare base64 secret and raw key bytes verify too', () => {
    const bare = SECRET.slice('whsec_'.length);
    expect(verifier([bare]).verify(BODY, headers(EXPECTED)).secretIndex).toBe(0);
    const raw = new Uint8Array(Buffer.from(bare, 'base64'));
    expect(verifier([raw]).verify(BODY, headers(EXPECTED)).secretIndex).toBe(0);
  });

  it('the signer uses the injected clock', () => {
    const signer = standardWebhooksSigner({
      scheme: 'standard-webhooks',
      secrets: [SECRET],
      now: () => TS * 1000 + 999,
    });
    expect(signer.sign(BODY, { id: ID })['webhook-timestamp']).toBe(String(TS));
  });

  it('our signature passes the standardwebhooks library', () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const signer = standardWebhooksSigner({ scheme: 'standard-webhooks', secrets: [SECRET] });
    const sent = signer.sign(BODY, { id: ID, timestamp: nowSeconds });
    expect(new Webhook(SECRET).verify(BODY, sent)).toEqual({ test: 2432232314 });
  });

  it('the standardwebhooks library signature passes ours', () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const signature = new Webhook(SECRET).sign(ID, new Date(nowSeconds * 1000), BODY);
    const result = verifier([SECRET], () => nowSeconds * 1000).verify(
      BODY,
      headers(signature, ID, nowSeconds),
    );
    expect(result.timestamp).toBe(nowSeconds);
  });

  it('signing with several secrets gives one v1 entry each', () => {
    const other = 'whsec_' + Buffer.from('another key of some length!').toString('base64');
    const signer = standardWebhooksSigner({
      scheme: 'standard-webhooks',
      secrets: [SECRET, other],
    });
    const sent = signer.sign(BODY, { id: ID, timestamp: TS });
    expect(sent['webhook-signature']).toBe(`${EXPECTED} ${sig(other, ID, TS, BODY)}`);
  });

  it('rotation: signed with [old, new], a verifier knowing only one of them passes', () => {
    const old = SECRET;
    const next = 'whsec_' + Buffer.from('the next key, 24+ bytes long').toString('base64');
    const signer = standardWebhooksSigner({ scheme: 'standard-webhooks', secrets: [old, next] });
    const sent = signer.sign(BODY, { id: ID, timestamp: TS });
    expect(verifier([old]).verify(BODY, sent).secretIndex).toBe(0);
    expect(verifier([next]).verify(BODY, sent).secretIndex).toBe(0);
    expect(verifier(['whsec_AAAAAAAA', next]).verify(BODY, sent).secretIndex).toBe(1);
  });

  it('other versions and wrong v1 entries are skipped when one v1 entry is right', () => {
    const wrong = 'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=';
    const list = [wrong, 'v1a,abc', 'v2,' + EXPECTED.slice(3), EXPECTED, wrong].join(' ');
    expect(verifier().verify(BODY, headers(list)).id).toBe(ID);
  });

  it('a right signature under another version prefix fails', () => {
    const h = 'webhook-signature';
    expectRejection(
      () => verifier().verify(BODY, headers('v1a,' + EXPECTED.slice(3))),
      'bad_signature',
      h,
    );
  });

  it('a wrong signature fails without leaking the secret or the expected signature', () => {
    const forged = 'v1,' + Buffer.alloc(32).toString('base64');
    const leaks = [SECRET, SECRET.slice(6), EXPECTED, EXPECTED.slice(3)];
    expectRejection(
      () => verifier().verify(BODY, headers(forged)),
      'bad_signature',
      'webhook-signature',
      leaks,
    );
  });

  it('a truncated signature fails', () => {
    expectRejection(() => verifier().verify(BODY, headers(EXPECTED.slice(0, 8))), 'bad_signature');
    expectRejection(() => verifier().verify(BODY, headers('v1,')), 'bad_signature');
  });

  it('a changed body fails', () => {
    expectRejection(
      () => verifier().verify(Buffer.from('{"test": 2432232315}'), headers(EXPECTED)),
      'bad_signature',
    );
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])('missing %s fails', (name) => {
    const h = Object.fromEntries(Object.entries(headers(EXPECTED)).filter(([key]) => key !== name));
    expectRejection(() => verifier().verify(BODY, h), 'missing_header', name);
  });

  it('a timestamp that is not digits is malformed', () => {
    expectRejection(
      () => verifier().verify(BODY, headers(EXPECTED, ID, 'hello')),
      'malformed_header',
      'webhook-timestamp',
    );
  });

  it('a signature entry without a version is malformed', () => {
    const h = headers(EXPECTED.slice(3));
    expectRejection(() => verifier().verify(BODY, h), 'malformed_header', 'webhook-signature');
  });

  it('a signature header given twice is malformed', () => {
    const h = { ...headers(EXPECTED), 'webhook-signature': [EXPECTED, EXPECTED] };
    expectRejection(() => verifier().verify(BODY, h), 'malformed_header', 'webhook-signature');
  });

  it('old timestamp fails', () => {
    const late = () => (TS + 5 * 60 + 1) * 1000;
    expectRejection(
      () => verifier([SECRET], late).verify(BODY, headers(EXPECTED)),
      'timestamp_too_old',
      'webhook-timestamp',
    );
  });

  it('new timestamp fails', () => {
    const early = () => (TS - 5 * 60 - 1) * 1000;
    expectRejection(
      () => verifier([SECRET], early).verify(BODY, headers(EXPECTED)),
      'timestamp_too_new',
      'webhook-timestamp',
    );
  });

  it('a timestamp exactly 5 minutes old passes by default', () => {
    const late = () => (TS + 5 * 60) * 1000;
    expect(verifier([SECRET], late).verify(BODY, headers(EXPECTED)).timestamp).toBe(TS);
  });

  it('the tolerance is configurable', () => {
    const late = () => (TS + 11) * 1000;
    expect(() => verifier([SECRET], late, 20).verify(BODY, headers(EXPECTED))).not.toThrow();
    expectRejection(
      () => verifier([SECRET], late, 10).verify(BODY, headers(EXPECTED)),
      'timestamp_too_old',
    );
  });

  it('a forged message with an old timestamp fails as a bad signature, not as old', () => {
    const late = () => (TS + 3600) * 1000; // 1 hour later
    expectRejection(
      () => verifier([SECRET], late).verify(BODY, headers('v1,AAAA')),
      'bad_signature',
    );
  });

  it('a bad whsec_ secret fails at construction', () => {
    expect(() => verifier(['whsec_%%%'])).toThrow(SigningConfigError);
    expect(() => verifier([])).toThrow(SigningConfigError);
  });

  it('signing without an id is refused', () => {
    const signer = standardWebhooksSigner({ scheme: 'standard-webhooks', secrets: [SECRET] });
    expect(() => signer.sign(BODY)).toThrow(RangeError);
    expect(() => signer.sign(BODY, { id: 'has space' })).toThrow(RangeError);
  });

  it('a string body is signed as its UTF-8 bytes', () => {
    const signer = standardWebhooksSigner({ scheme: 'standard-webhooks', secrets: [SECRET] });
    const text = '{"é": "ü"}';
    const sent = signer.sign(text, { id: ID, timestamp: TS });
    expect(sent['webhook-signature']).toBe(sig(SECRET, ID, TS, Buffer.from(text, 'utf8')));
  });
});
