import { createHmac } from 'node:crypto';
import { createStreamTokenSigner } from './stream-token.ts';

const SECRET = 'stream-secret-0123456789abcdef0123456789';
const OLD_SECRET = 'old-stream-secret-0123456789abcdef01234';
const JOB = 'job_0123456789';
const T0 = Date.parse('2026-03-01T12:00:00.000Z');

/** The MAC computed independently of the code under test. */
const expectedMac = (secret: string, job: string, tenant: string, iat: number, exp: number) =>
  createHmac('sha256', secret)
    .update(`claude-pipeline/stream-token/v1\0${job}\0${tenant}\0${iat}\0${exp}`)
    .digest('base64url');

describe('stream token', () => {
  let now = T0;
  const signer = (secrets = [SECRET]) =>
    createStreamTokenSigner({ secrets, ttlMs: 600_000, now: () => now });
  beforeEach(() => {
    now = T0;
  });

  it('signs job id, tenant, issued-at and expiry with HMAC-SHA256', () => {
    const token = signer().sign(JOB, 'acme');
    const iat = T0 / 1000;
    const exp = iat + 600;
    expect(token).toBe(`v1.acme.${iat}.${exp}.${expectedMac(SECRET, JOB, 'acme', iat, exp)}`);
  });

  it('accepts its own token for the same job and names the tenant', () => {
    const token = signer().sign(JOB, 'acme');
    expect(signer().verify(token, JOB)).toEqual({
      ok: true,
      tenant: 'acme',
      issuedAtMs: T0,
      expiresAtMs: T0 + 600_000,
    });
  });

  it('a token of another job is forged', () => {
    const token = signer().sign(JOB, 'acme');
    expect(signer().verify(token, 'another_job')).toEqual({ ok: false, reason: 'forged' });
  });

  it('a changed tenant is forged', () => {
    const token = signer().sign(JOB, 'acme').replace('.acme.', '.globex.');
    expect(signer().verify(token, JOB)).toEqual({ ok: false, reason: 'forged' });
  });

  it('a prolonged expiry is forged', () => {
    const parts = signer().sign(JOB, 'acme').split('.');
    parts[3] = String(Number(parts[3]) + 3600);
    expect(signer().verify(parts.join('.'), JOB)).toEqual({ ok: false, reason: 'forged' });
  });

  it('a token signed with another key is forged', () => {
    const token = signer(['another-secret-0123456789abcdef01234567']).sign(JOB, 'acme');
    expect(signer().verify(token, JOB)).toEqual({ ok: false, reason: 'forged' });
  });

  it('old token fails once expired', () => {
    const token = signer().sign(JOB, 'acme');
    now = T0 + 600_000 - 1;
    expect(signer().verify(token, JOB).ok).toBe(true);
    now = T0 + 600_000;
    expect(signer().verify(token, JOB)).toEqual({ ok: false, reason: 'expired' });
  });

  it('a token of the previous key still verifies during rotation', () => {
    const token = signer([OLD_SECRET]).sign(JOB, 'acme');
    expect(signer([SECRET, OLD_SECRET]).verify(token, JOB).ok).toBe(true);
    expect(signer([SECRET]).verify(token, JOB)).toEqual({ ok: false, reason: 'forged' });
  });

  it.each([
    '',
    'garbage',
    'v2.acme.1.2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    'v1.ac.me.1.2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    'v1.acme.x.2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    'v1.acme.1.2.short',
  ])('%j is malformed', (token) => {
    expect(signer().verify(token, JOB)).toEqual({ ok: false, reason: 'malformed' });
  });
});
