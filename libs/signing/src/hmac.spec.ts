import { createHmac } from 'node:crypto';
import { hmac, matchingSecret, safeEqual } from './hmac.ts';

describe('hmac', () => {
  it('equals node:crypto over the concatenated parts', () => {
    const key = Buffer.from('key');
    const expected = createHmac('sha256', key).update('a.b').digest('hex');
    expect(hmac('sha256', key, ['a.', Buffer.from('b')]).toString('hex')).toBe(expected);
  });

  it('equal strings compare equal', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
  });

  it('different strings of the same length compare unequal', () => {
    expect(safeEqual('abc', 'abd')).toBe(false);
  });

  it('a shorter or longer candidate compares unequal without throwing', () => {
    expect(safeEqual('abc', 'ab')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('abc', '')).toBe(false);
  });

  it('matchingSecret gives the index of the secret whose digest some candidate equals', () => {
    expect(matchingSecret(['x', 'y'], ['q', 'y'])).toBe(1);
    expect(matchingSecret(['x', 'y'], ['x', 'y'])).toBe(0);
    expect(matchingSecret(['x', 'y'], ['q'])).toBe(-1);
    expect(matchingSecret(['x'], [])).toBe(-1);
  });
});
