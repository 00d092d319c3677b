import { createHash } from 'node:crypto';

/** A uniform number in [0, 1). */
export type Random = () => number;

/**
 * mulberry32: a tiny, fast 32-bit PRNG. Good enough to pick words and roll fault dice
 * reproducibly; never used for anything secret.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A 32-bit seed from text (the first four bytes of its SHA-1). */
export function seedOf(text: string): number {
  return createHash('sha1').update(text).digest().readUInt32BE(0);
}

/** An integer in [min, max]. */
export const intBetween = (random: Random, min: number, max: number): number =>
  min + Math.floor(random() * (max - min + 1));

/** A standard normal sample (Box–Muller). */
export function standardNormal(random: Random): number {
  const u = 1 - random(); // (0, 1]: log(0) is -Infinity
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
