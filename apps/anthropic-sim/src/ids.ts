import { randomBytes } from 'node:crypto';

// The API's ids look like `msg_01XFDUDYJgAACzvnptvVoYEL`: a prefix, `01`, then base58-ish text.
// Clients must treat them as opaque; the sim keeps the look so logs and fixtures read alike.
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const SUFFIX_LENGTH = 22;

function suffixFrom(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < SUFFIX_LENGTH; i++) out += ALPHABET[(bytes[i] ?? 0) % ALPHABET.length];
  return out;
}

// Random bytes are drawn in blocks: one system call per ~180 ids instead of one per id.
const POOL_BYTES = 4_096;
let pool = randomBytes(POOL_BYTES);
let offset = 0;

function randomSuffix(): string {
  if (offset + SUFFIX_LENGTH > POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const suffix = suffixFrom(pool.subarray(offset, offset + SUFFIX_LENGTH));
  offset += SUFFIX_LENGTH;
  return suffix;
}

/** A random id with the API's look, e.g. `newId('msg')` → `msg_01…`. */
export const newId = (prefix: string): string => `${prefix}_01${randomSuffix()}`;

/** The same look from a hash, for ids that must be stable (a batch result read twice). */
export const stableId = (prefix: string, digest: Uint8Array): string =>
  `${prefix}_01${suffixFrom(digest)}`;

/** Request ids carry `011C` like the API's (`req_011CS…`). */
export const newRequestId = (): string => `req_011C${randomSuffix().slice(0, 20)}`;
