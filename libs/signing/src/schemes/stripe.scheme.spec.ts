import { createHmac } from 'node:crypto';
import { expectRejection } from '../../test/expect-rejection.ts';
import { SigningConfigError } from '../errors.ts';
import { stripeSigner, stripeVerifier } from './stripe.scheme.ts';

// Stripe keys the HMAC with the whole endpoint secret string, `whsec_` included.
const SECRET = 'whsec_test_secret_for_unit_tests';
const T = 1_700_000_000; // unix seconds
const BODY = Buffer.from('{"id":"evt_1","object":"event"}');
const H = 'stripe-signature';

const v1 = (secret: string, t: number | string, body: Uint8Array) =>
  createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');

const header = (t: number | string = T, secret = SECRET) => `t=${t},v1=${v1(secret, t, BODY)}`;

const verifier = (secrets = [SECRET], nowSeconds = T, toleranceSeconds?: number) =>
  stripeVerifier({
    scheme: 'stripe',
    secrets,
    now: () => nowSeconds * 1000,
    ...(toleranceSeconds === undefined ? {} : { toleranceSeconds }),
  });

describe('stripe', () => {
  it('a valid signature verifies and reports the timestamp', () => {
    expect(verifier().verify(BODY, { 'Stripe-Signature': header() })).toEqual({
      scheme: 'stripe',
      timestamp: T,
      secretIndex: 0,
    });
  });

  it('signing gives t and one v1 per secret', () => {
    const signer = stripeSigner({ scheme: 'stripe', secrets: [SECRET, 'whsec_other'] });
    expect(signer.sign(BODY, { timestamp: T })).toEqual({
      [H]: `t=${T},v1=${v1(SECRET, T, BODY)},v1=${v1('whsec_other', T, BODY)}`,
    });
  });

  it('the signer uses the injected clock', () => {
    const signer = stripeSigner({ scheme: 'stripe', secrets: [SECRET], now: () => T * 1000 + 500 });
    expect(signer.sign(BODY)[H]).toBe(header());
  });

  it('rotation: signed with [old, new], a verifier knowing only one of them passes', () => {
    const sent = stripeSigner({ scheme: 'stripe', secrets: ['whsec_old', 'whsec_new'] }).sign(
      BODY,
      {
        timestamp: T,
      },
    );
    expect(verifier(['whsec_old']).verify(BODY, sent).secretIndex).toBe(0);
    expect(verifier(['whsec_new']).verify(BODY, sent).secretIndex).toBe(0);
  });

  it('v0 entries and unknown keys are ignored', () => {
    const value = `t=${T},v0=${'0'.repeat(64)},x=1,v1=${'1'.repeat(64)},v1=${v1(SECRET, T, BODY)}`;
    expect(verifier().verify(BODY, { [H]: value }).timestamp).toBe(T);
  });

  it('a wrong signature fails without leaking the secret or the expected signature', () => {
    const leaks = [SECRET, v1(SECRET, T, BODY)];
    expectRejection(
      () => verifier().verify(BODY, { [H]: header(T, 'whsec_guess') }),
      'bad_signature',
      H,
      leaks,
    );
  });

  it('upper-case hex digits fail: the exact text is compared, as Stripe sends it', () => {
    const value = `t=${T},v1=${v1(SECRET, T, BODY).toUpperCase()}`;
    expectRejection(() => verifier().verify(BODY, { [H]: value }), 'bad_signature', H);
  });

  it('a header with only v0 signatures fails as a bad signature', () => {
    expectRejection(
      () => verifier().verify(BODY, { [H]: `t=${T},v0=${v1(SECRET, T, BODY)}` }),
      'bad_signature',
      H,
    );
  });

  it('a changed body fails', () => {
    expectRejection(
      () => verifier().verify(Buffer.from('{}'), { [H]: header() }),
      'bad_signature',
      H,
    );
  });

  it('a missing header fails', () => {
    expectRejection(() => verifier().verify(BODY, {}), 'missing_header', H);
  });

  it.each([
    ['no t', `v1=${'0'.repeat(64)}`],
    ['two t', `t=${T},t=${T},v1=${v1(SECRET, T, BODY)}`],
    ['an item without =', `t=${T},v1`],
    ['a non-numeric t', `t=soon,v1=${'0'.repeat(64)}`],
  ])('a header with %s is malformed', (_what, value) => {
    expectRejection(() => verifier().verify(BODY, { [H]: value }), 'malformed_header', H);
  });

  it('a header given twice is malformed', () => {
    expectRejection(
      () => verifier().verify(BODY, { [H]: [header(), header()] }),
      'malformed_header',
      H,
    );
  });

  it('old timestamp fails', () => {
    expectRejection(
      () => verifier([SECRET], T + 301).verify(BODY, { [H]: header() }),
      'timestamp_too_old',
      H,
    );
  });

  it('new timestamp fails', () => {
    expectRejection(
      () => verifier([SECRET], T - 301).verify(BODY, { [H]: header() }),
      'timestamp_too_new',
      H,
    );
  });

  it('the default tolerance is 300 seconds', () => {
    expect(verifier([SECRET], T + 300).verify(BODY, { [H]: header() }).timestamp).toBe(T);
  });

  it('the tolerance is configurable', () => {
    expect(() => verifier([SECRET], T + 600, 600).verify(BODY, { [H]: header() })).not.toThrow();
    expectRejection(
      () => verifier([SECRET], T + 11, 10).verify(BODY, { [H]: header() }),
      'timestamp_too_old',
    );
  });

  it('an empty secret list fails at construction', () => {
    expect(() => verifier([])).toThrow(SigningConfigError);
  });
});
