import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed stream URLs (issue 12). A browser's `EventSource` cannot send `Authorization`, so
 * `POST /v1/jobs` with `stream: true` returns `/v1/jobs/<id>/stream?token=<token>`: an HMAC over
 * (job id, tenant, issued-at, expiry) with a key every replica shares, so any replica accepts a
 * token any other replica issued.
 *
 * Token: `v1.<tenant>.<issued s>.<expires s>.<base64url HMAC-SHA256>`. The tenant id has no `.`
 * (`TENANT_ID_PATTERN`), so the token splits unambiguously. The job id is not in the token: it
 * is the URL's path, and the MAC covers it.
 */

const VERSION = 'v1';
/** Domain separation: this MAC can never be confused with any other HMAC of ours. */
const DOMAIN = 'claude-pipeline/stream-token/v1';
const TENANT = /^[a-zA-Z0-9_-]{1,64}$/;
const SECONDS = /^[0-9]{1,12}$/;
const MAC = /^[A-Za-z0-9_-]{43}$/;

export type TokenRejection = 'malformed' | 'forged' | 'expired';

export type TokenCheck =
  | { ok: true; tenant: string; issuedAtMs: number; expiresAtMs: number }
  | { ok: false; reason: TokenRejection };

export interface StreamTokenSigner {
  /** A token for this job and tenant, valid for the configured lifetime from now. */
  sign(jobId: string, tenant: string): string;
  /** Checks a token presented for `jobId` (constant-time MAC comparison, every key tried). */
  verify(token: string, jobId: string): TokenCheck;
}

export interface StreamTokenOptions {
  /** Signing keys: the first signs, every one verifies (rotation). At least one. */
  secrets: readonly string[];
  /** Lifetime of a new token, ms. */
  ttlMs: number;
  /** Clock, ms since the epoch. */
  now: () => number;
}

function mac(secret: string, jobId: string, tenant: string, iat: number, exp: number): Buffer {
  return createHmac('sha256', secret)
    .update(`${DOMAIN}\0${jobId}\0${tenant}\0${iat}\0${exp}`)
    .digest();
}

export function createStreamTokenSigner(options: StreamTokenOptions): StreamTokenSigner {
  const [signingSecret] = options.secrets;
  if (signingSecret === undefined) throw new Error('a stream token needs at least one secret');
  return {
    sign(jobId, tenant) {
      const iat = Math.floor(options.now() / 1000);
      const exp = Math.ceil((options.now() + options.ttlMs) / 1000);
      const signature = mac(signingSecret, jobId, tenant, iat, exp).toString('base64url');
      return `${VERSION}.${tenant}.${iat}.${exp}.${signature}`;
    },
    verify(token, jobId) {
      const parts = token.split('.');
      if (parts.length !== 5) return { ok: false, reason: 'malformed' };
      const [version, tenant, iatText, expText, signature] = parts as [
        string,
        string,
        string,
        string,
        string,
      ];
      if (
        version !== VERSION ||
        !TENANT.test(tenant) ||
        !SECONDS.test(iatText) ||
        !SECONDS.test(expText) ||
        !MAC.test(signature)
      ) {
        return { ok: false, reason: 'malformed' };
      }
      const iat = Number(iatText);
      const exp = Number(expText);
      const presented = Buffer.from(signature, 'base64url');
      const genuine = options.secrets.some((secret) =>
        timingSafeEqual(mac(secret, jobId, tenant, iat, exp), presented),
      );
      // Forgery is checked before expiry: an expired answer must not confirm a guessed MAC.
      if (!genuine) return { ok: false, reason: 'forged' };
      if (options.now() >= exp * 1000) return { ok: false, reason: 'expired' };
      return { ok: true, tenant, issuedAtMs: iat * 1000, expiresAtMs: exp * 1000 };
    },
  };
}
