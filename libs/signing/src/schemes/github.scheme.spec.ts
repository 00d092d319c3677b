import { createHmac } from 'node:crypto';
import { expectRejection } from '../../test/expect-rejection.ts';
import { gitHubSigner, gitHubVerifier } from './github.scheme.ts';

// Example from GitHub's docs ("Validating webhook deliveries", testing the signature).
const SECRET = "It's a Secret to Everybody";
const BODY = Buffer.from('Hello, World!');
const EXPECTED = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
const H = 'x-hub-signature-256';

const sig = (secret: string, body: Uint8Array) =>
  'sha256=' + createHmac('sha256', secret).update(body).digest('hex');

const verifier = (secrets: string[] = [SECRET]) => gitHubVerifier({ scheme: 'github', secrets });

describe('github', () => {
  it('the independent computation matches the docs example', () => {
    expect(sig(SECRET, BODY)).toBe(EXPECTED);
  });

  it('the docs example verifies, with no id or timestamp reported', () => {
    expect(verifier().verify(BODY, { 'X-Hub-Signature-256': EXPECTED })).toEqual({
      scheme: 'github',
      secretIndex: 0,
    });
  });

  it('signing reproduces the docs example', () => {
    expect(gitHubSigner({ scheme: 'github', secrets: [SECRET] }).sign(BODY)).toEqual({
      [H]: EXPECTED,
    });
  });

  it('upper-case hex digits fail: the exact text is compared, as GitHub sends it', () => {
    const upper = 'sha256=' + EXPECTED.slice(7).toUpperCase();
    expectRejection(() => verifier().verify(BODY, { [H]: upper }), 'bad_signature', H);
  });

  it('rotation: a signature made with either listed secret passes', () => {
    const next = 'the new secret';
    expect(verifier([next, SECRET]).verify(BODY, { [H]: EXPECTED }).secretIndex).toBe(1);
    expect(verifier([next, SECRET]).verify(BODY, { [H]: sig(next, BODY) }).secretIndex).toBe(0);
  });

  it('the signer signs with the first secret', () => {
    const signer = gitHubSigner({ scheme: 'github', secrets: ['new', SECRET] });
    expect(signer.sign(BODY)[H]).toBe(sig('new', BODY));
  });

  it('a changed body fails without leaking the secret or the expected signature', () => {
    const leaks = [SECRET, EXPECTED.slice(7)];
    expectRejection(
      () => verifier().verify(Buffer.from('Hello, World?'), { [H]: EXPECTED }),
      'bad_signature',
      H,
      leaks,
    );
  });

  it('a signature made with another secret fails', () => {
    expectRejection(() => verifier().verify(BODY, { [H]: sig('guess', BODY) }), 'bad_signature', H);
  });

  it('a missing header fails', () => {
    expectRejection(
      () => verifier().verify(BODY, { 'x-hub-signature': 'sha1=00' }),
      'missing_header',
      H,
    );
  });

  it.each([
    ['no prefix', EXPECTED.slice(7)],
    ['the sha1 prefix', 'sha1=' + EXPECTED.slice(7)],
    ['a short digest', EXPECTED.slice(0, -2)],
    ['non-hex digits', EXPECTED.slice(0, -1) + 'g'],
    ['two joined values', `${EXPECTED}, ${EXPECTED}`],
  ])('a header with %s is malformed', (_what, value) => {
    expectRejection(() => verifier().verify(BODY, { [H]: value }), 'malformed_header', H);
  });

  it('a header given twice is malformed', () => {
    expectRejection(
      () => verifier().verify(BODY, { [H]: [EXPECTED, EXPECTED] }),
      'malformed_header',
      H,
    );
  });
});
