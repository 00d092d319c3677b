import type { Message } from 'kafkajs';

/** Bytes of a key, value or header value on the wire (strings as UTF-8). */
const bytesOf = (value: unknown): number =>
  value === null || value === undefined
    ? 0
    : Buffer.isBuffer(value)
      ? value.length
      : typeof value === 'string'
        ? Buffer.byteLength(value)
        : Buffer.byteLength(String(value));

/**
 * Bytes a record takes in a record batch, near enough to keep requests under the broker's
 * limit: key, value, header names and values, and a few bytes of varints per field. A repeated
 * header (an array) is written once per value, its name each time. Used to size produce
 * requests (`sendSplit`, the batching producer) and dead letters (`fitDeadLetter`).
 */
export function recordBytes(message: Pick<Message, 'key' | 'value' | 'headers'>): number {
  let bytes = 24 + bytesOf(message.key) + bytesOf(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
      bytes += 10 + Buffer.byteLength(name) + bytesOf(item);
    }
  }
  return bytes;
}
