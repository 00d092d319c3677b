import type { IHeaders } from 'kafkajs';

/** How values are turned into changelog bytes and back. */
export interface ValueCodec<V> {
  encode(value: V): Buffer;
  decode(bytes: Buffer): V;
}

/** UTF-8 JSON, the project's message convention (the default codec). */
export function jsonCodec<V>(): ValueCodec<V> {
  return {
    encode: (value) => Buffer.from(JSON.stringify(value)),
    decode: (bytes) => JSON.parse(bytes.toString('utf8')) as V,
  };
}

/**
 * Header carrying an entry's expiry (epoch ms, decimal) on its changelog record. A header rather
 * than a value field keeps the value the caller's own schema, and lets restore rebuild the expiry
 * index without decoding values.
 */
export const EXPIRES_AT_HEADER = 'state-expires-at';

/** The largest expiry accepted: 2^48 - 1 ms is about the year 10889, and fits the 8-byte index key. */
const MAX_EXPIRES_AT = 2 ** 48 - 1;

/** An expiry is whole epoch milliseconds, after 1970 (0 is reserved for "never" locally). */
export function isValidExpiresAt(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= MAX_EXPIRES_AT;
}

/** Reads the expiry header of a changelog record; undefined when absent or unreadable. */
export function readExpiresAt(headers: IHeaders | undefined): number | undefined {
  const raw = headers?.[EXPIRES_AT_HEADER];
  if (raw === undefined) return undefined;
  const last = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (last === undefined) return undefined;
  // Parsed from the bytes: this runs once per restored record.
  const bytes = typeof last === 'string' ? Buffer.from(last) : last;
  if (bytes.length === 0 || bytes.length > 16) return undefined;
  let value = 0;
  for (const byte of bytes) {
    if (byte < 0x30 || byte > 0x39) return undefined;
    value = value * 10 + (byte - 0x30);
  }
  return isValidExpiresAt(value) ? value : undefined;
}

// Local entry layout: 8 bytes of expiry (unsigned, big-endian, 0 = never) then the value bytes
// exactly as they are on the changelog. Restore copies bytes; values are decoded only on read.
const EXPIRY_BYTES = 8;

function writeUint64(target: Buffer, value: number, at: number): void {
  target.writeUInt32BE(Math.floor(value / 2 ** 32), at);
  target.writeUInt32BE(value >>> 0, at + 4);
}

function readUint64(source: Buffer, at: number): number {
  return source.readUInt32BE(at) * 2 ** 32 + source.readUInt32BE(at + 4);
}

export function encodeEntry(value: Buffer, expiresAt: number | undefined): Buffer {
  const entry = Buffer.allocUnsafe(EXPIRY_BYTES + value.length);
  writeUint64(entry, expiresAt ?? 0, 0);
  value.copy(entry, EXPIRY_BYTES);
  return entry;
}

export function entryValue(entry: Buffer): Buffer {
  return entry.subarray(EXPIRY_BYTES);
}

export function entryExpiresAt(entry: Buffer): number | undefined {
  const value = readUint64(entry, 0);
  return value === 0 ? undefined : value;
}

/**
 * Expiry index key: 8 bytes of expiry (big-endian, so byte order is time order) then the entry's
 * key. A range scan from 0 to `now + 1` lists exactly the expired entries, oldest first, without
 * touching the others.
 */
export function expiryIndexKey(expiresAt: number, key: Buffer): Buffer {
  const indexKey = Buffer.allocUnsafe(EXPIRY_BYTES + key.length);
  writeUint64(indexKey, expiresAt, 0);
  key.copy(indexKey, EXPIRY_BYTES);
  return indexKey;
}

/** The first index key at or after `expiresAt` (a range bound). */
export function expiryIndexBound(expiresAt: number): Buffer {
  const bound = Buffer.alloc(EXPIRY_BYTES);
  writeUint64(bound, expiresAt, 0);
  return bound;
}

export function parseExpiryIndexKey(indexKey: Buffer): { expiresAt: number; key: Buffer } {
  return { expiresAt: readUint64(indexKey, 0), key: indexKey.subarray(EXPIRY_BYTES) };
}
