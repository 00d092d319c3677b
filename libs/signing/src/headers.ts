import { WebhookVerificationError } from './errors.ts';
import type { WebhookHeaders } from './webhook.types.ts';

/**
 * The value of header `name` (lower case), looked up case-insensitively. A header sent twice
 * (an array of two values, or two spellings of the name) is malformed: taking one of them
 * silently would let a sender choose which one we check.
 */
export function readHeader(headers: WebhookHeaders, name: string): string | undefined {
  let found: string | undefined;
  let seen = false;
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined || key.toLowerCase() !== name) continue;
    if (seen) throw new WebhookVerificationError('malformed_header', name);
    seen = true;
    found = single(value as unknown, name);
  }
  return found;
}

/** Like `readHeader`, but an absent or blank header is `missing_header`. */
export function requireHeader(headers: WebhookHeaders, name: string): string {
  const value = readHeader(headers, name);
  if (value === undefined || value.trim() === '') {
    throw new WebhookVerificationError('missing_header', name);
  }
  return value;
}

function single(value: unknown, name: string): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const values: unknown[] = value;
    if (values.length === 0) return undefined;
    const [first] = values;
    if (values.length === 1 && typeof first === 'string') return first;
  }
  throw new WebhookVerificationError('malformed_header', name);
}

/** Verifiers take raw bytes only: a parsed or re-serialised body would not match the signature. */
export function assertRawBody(rawBody: unknown): asserts rawBody is Uint8Array {
  if (!(rawBody instanceof Uint8Array)) {
    throw new TypeError('rawBody must be the raw request bytes (Uint8Array or Buffer)');
  }
}
