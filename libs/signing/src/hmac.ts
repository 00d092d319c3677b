import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

/**
 * Key objects of the secrets' key bytes. `createHmac` with a Buffer imports the key again on
 * every call, which was the hottest frame of ingest under load; with a KeyObject made once it is
 * 3.5-4.5x faster per 5 KB webhook (bench/results/ingest.md). Keys are decoded once per verifier
 * or signer, so the same Buffer comes back on every call; a WeakMap lets them go with it.
 */
const keyObjects = new WeakMap<Buffer, KeyObject>();

function keyObject(key: Buffer): KeyObject {
  let object = keyObjects.get(key);
  if (object === undefined) {
    object = createSecretKey(key);
    keyObjects.set(key, object);
  }
  return object;
}

/** HMAC over the concatenation of `parts`; strings are taken as UTF-8, bytes as they are. */
export function hmac(
  algorithm: string,
  key: Buffer,
  parts: readonly (string | Uint8Array)[],
): Buffer {
  const mac = createHmac(algorithm, keyObject(key));
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/**
 * Constant-time equality of an expected encoded digest and a received candidate.
 * `timingSafeEqual` needs equal lengths. The expected length is public (fixed by the algorithm
 * and encoding), so a length mismatch reveals nothing, but we still spend one comparison on it so
 * that every call does the same work.
 */
export function safeEqual(expected: string, candidate: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(candidate, 'utf8');
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/**
 * Index of the first expected digest (one per secret) that some candidate equals, or -1.
 * Compares every pair without stopping early, so timing does not tell which secret matched.
 */
export function matchingSecret(expected: readonly string[], candidates: readonly string[]): number {
  let found = -1;
  expected.forEach((digest, index) => {
    for (const candidate of candidates) {
      if (safeEqual(digest, candidate) && found === -1) found = index;
    }
  });
  return found;
}
