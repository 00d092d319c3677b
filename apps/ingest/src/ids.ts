import { createHash, randomUUID } from 'node:crypto';

/**
 * Ids and keys (ARCHITECTURE.md, "Tenancy and ids"). The job id is a pure function of
 * (tenant, idempotency key): a repeat gets the same id on every replica without any lookup, and
 * two tenants can never collide because the tenant is hashed in.
 */

/** Domain separation: these hashes can never be confused with any other SHA-256 of ours. */
const JOB_ID_DOMAIN = 'claude-pipeline/job-id/v1';

/**
 * base64url of SHA-256(domain, tenant, idempotency key): 43 characters of `[A-Za-z0-9_-]`, so it
 * fits `JOB_ID_PATTERN` (64 at most) without truncation. NUL separates the parts; neither a
 * tenant id nor an idempotency key (printable text) contains one, so the input is unambiguous.
 */
export function jobIdFor(tenant: string, idempotencyKey: string): string {
  return createHash('sha256')
    .update(`${JOB_ID_DOMAIN}\0${tenant}\0${idempotencyKey}`)
    .digest('base64url');
}

/**
 * Kafka key of `pipeline.events`: tenant + idempotency key, as `<tenant>:<key>` (the form
 * dedupe's changelog uses too). A tenant id has no `:` (`TENANT_ID_PATTERN`), so the first `:`
 * splits it unambiguously.
 */
export const eventKeyFor = (tenant: string, idempotencyKey: string): string =>
  `${tenant}:${idempotencyKey}`;

/** The scope of API submissions in an idempotency key; no webhook source may take this name. */
export const API_SCOPE = 'api';

/** Keys longer than this are replaced by their hash, so the scoped key stays within 255 chars. */
export const MAX_RAW_KEY_LENGTH = 180;

/**
 * The idempotency key as `pipeline.events` carries it: `<scope>:<key>`, where the scope is `api`
 * or the webhook source's name. A GitHub delivery id and a client's Idempotency-Key that happen
 * to be equal therefore never dedupe each other, even within one tenant.
 */
export function scopedIdempotencyKey(scope: string, key: string): string {
  const raw =
    key.length <= MAX_RAW_KEY_LENGTH
      ? key
      : `sha256:${createHash('sha256').update(key).digest('base64url')}`;
  return `${scope}:${raw}`;
}

/** An idempotency key for a submission that came without one: every such job is unique. */
export const randomIdempotencyKey = (): string => `auto-${randomUUID()}`;
