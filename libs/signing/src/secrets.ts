import { randomBytes } from 'node:crypto';
import { GENERATED_SECRET_BYTES, STANDARD_WEBHOOK_SECRET_PREFIX } from './defaults.ts';
import { SigningConfigError } from './errors.ts';

// Standard base64 alphabet with optional padding; decoding is lenient in Node, so we check first.
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const unpadded = (text: string): string => text.replace(/=+$/, '');

/**
 * Key bytes of a Standard Webhooks secret: `whsec_<base64>`, bare base64 (as the reference
 * library accepts), or raw bytes. Errors name the position, never the secret.
 */
export function standardWebhookKey(secret: unknown, index: number): Buffer {
  if (secret instanceof Uint8Array) return nonEmpty(Buffer.from(secret), index);
  if (typeof secret !== 'string') {
    throw new SigningConfigError(`secrets[${index}] must be a string or bytes`);
  }
  const encoded = secret.startsWith(STANDARD_WEBHOOK_SECRET_PREFIX)
    ? secret.slice(STANDARD_WEBHOOK_SECRET_PREFIX.length)
    : secret;
  const key = Buffer.from(encoded, 'base64');
  // Re-encoding must give the input back: rejects stray characters and non-canonical tails.
  if (!BASE64.test(encoded) || unpadded(key.toString('base64')) !== unpadded(encoded)) {
    throw new SigningConfigError(
      `secrets[${index}] is not a valid Standard Webhooks secret (base64 after "whsec_")`,
    );
  }
  return nonEmpty(key, index);
}

/** Key bytes of a plain HMAC secret: the UTF-8 bytes of a string, or raw bytes. */
export function hmacKey(secret: unknown, index: number): Buffer {
  if (secret instanceof Uint8Array) return nonEmpty(Buffer.from(secret), index);
  if (typeof secret !== 'string') {
    throw new SigningConfigError(`secrets[${index}] must be a string or bytes`);
  }
  return nonEmpty(Buffer.from(secret, 'utf8'), index);
}

/** A fresh `whsec_` secret for a new tenant or a rotation (32 random bytes by default). */
export function generateStandardWebhookSecret(bytes: number = GENERATED_SECRET_BYTES): string {
  if (!Number.isInteger(bytes) || bytes < 24 || bytes > 64) {
    throw new SigningConfigError('a Standard Webhooks secret must have 24 to 64 bytes');
  }
  return STANDARD_WEBHOOK_SECRET_PREFIX + randomBytes(bytes).toString('base64');
}

function nonEmpty(key: Buffer, index: number): Buffer {
  if (key.length === 0) throw new SigningConfigError(`secrets[${index}] is empty`);
  return key;
}
