import { storeKey } from './store-key.ts';

describe('storeKey', () => {
  it('joins tenant and idempotency key', () => {
    expect(storeKey('acme', 'delivery-1')).toBe('acme:delivery-1');
  });

  it('never gives two tenants the same key (a tenant id has no ":")', () => {
    expect(storeKey('a', 'b-c:d')).not.toBe(storeKey('a-b', 'c:d'));
    expect(storeKey('a', 'b:c')).toBe('a:b:c');
    expect(storeKey('acme', 'k')).not.toBe(storeKey('other', 'k'));
  });

  it('hashes a key too long for the store, deterministically', () => {
    const long = '€'.repeat(255); // 765 bytes
    const longer = '𝄞'.repeat(255); // 1020 bytes: with the tenant over the 1 KiB limit
    expect(storeKey('acme', long)).toBe(`acme:${long}`);
    const hashed = storeKey('acme', longer);
    expect(hashed).toMatch(/^acme#[0-9a-f]{64}$/);
    expect(storeKey('acme', longer)).toBe(hashed);
    expect(storeKey('other', longer)).not.toBe(hashed);
  });
});
