import {
  EXPIRES_AT_HEADER,
  encodeEntry,
  entryExpiresAt,
  entryValue,
  expiryIndexBound,
  expiryIndexKey,
  jsonCodec,
  parseExpiryIndexKey,
  readExpiresAt,
} from './codec.ts';

describe('state codec', () => {
  it('round-trips a value and its expiry through the local entry layout', () => {
    const entry = encodeEntry(Buffer.from('{"a":1}'), 1_700_000_000_123);
    expect(entryValue(entry).toString()).toBe('{"a":1}');
    expect(entryExpiresAt(entry)).toBe(1_700_000_000_123);
    expect(entryExpiresAt(encodeEntry(Buffer.from('x'), undefined))).toBeUndefined();
  });

  it('orders expiry index keys by time, then key', () => {
    const keys = [
      expiryIndexKey(2 ** 40, Buffer.from('a')),
      expiryIndexKey(5, Buffer.from('z')),
      expiryIndexKey(2 ** 33 + 1, Buffer.from('b')),
      expiryIndexKey(5, Buffer.from('y')),
    ].sort(Buffer.compare);
    expect(keys.map(parseExpiryIndexKey).map((k) => [k.expiresAt, k.key.toString()])).toEqual([
      [5, 'y'],
      [5, 'z'],
      [2 ** 33 + 1, 'b'],
      [2 ** 40, 'a'],
    ]);
    expect(Buffer.compare(expiryIndexBound(6), expiryIndexKey(5, Buffer.from('zzz')))).toBe(1);
  });

  it('reads the expiry header from a Buffer, a string or the last of repeated headers', () => {
    expect(readExpiresAt({ [EXPIRES_AT_HEADER]: Buffer.from('1700000000000') })).toBe(
      1_700_000_000_000,
    );
    expect(readExpiresAt({ [EXPIRES_AT_HEADER]: '42' })).toBe(42);
    expect(readExpiresAt({ [EXPIRES_AT_HEADER]: ['1', Buffer.from('2')] })).toBe(2);
  });

  it('ignores a missing or malformed expiry header', () => {
    expect(readExpiresAt(undefined)).toBeUndefined();
    expect(readExpiresAt({})).toBeUndefined();
    for (const bad of ['', '-1', '1.5', 'abc', '0', '99999999999999999']) {
      expect(readExpiresAt({ [EXPIRES_AT_HEADER]: bad })).toBeUndefined();
    }
  });

  it('encodes values as UTF-8 JSON by default', () => {
    const codec = jsonCodec<{ name: string }>();
    const bytes = codec.encode({ name: 'é' });
    expect(bytes.toString('utf8')).toBe('{"name":"é"}');
    expect(codec.decode(bytes)).toEqual({ name: 'é' });
  });
});
