import { createHash } from 'node:crypto';
import { STATE_STORE_DEFAULTS } from '@claude-pipeline/kafka';

/**
 * The dedupe store (and changelog) key of an idempotency key: `<tenant>:<idempotency key>`, so two
 * tenants never share a key. A tenant id has no `:` or `#` (`^[a-zA-Z0-9_-]{1,64}$`), so the
 * first separator after it tells the two forms apart: an idempotency key too long for the store
 * (up to 255 characters of up to 4 UTF-8 bytes each) is kept as `<tenant>#<sha-256 hex>`.
 */
export function storeKey(tenant: string, idempotencyKey: string): string {
  const plain = `${tenant}:${idempotencyKey}`;
  if (Buffer.byteLength(plain, 'utf8') <= STATE_STORE_DEFAULTS.maxKeyBytes) return plain;
  return `${tenant}#${createHash('sha256').update(idempotencyKey, 'utf8').digest('hex')}`;
}
