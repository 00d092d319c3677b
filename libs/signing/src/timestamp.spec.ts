import { expectRejection } from '../test/expect-rejection.ts';
import { checkFreshness, parseUnixSeconds, signingTimestamp } from './timestamp.ts';

const H = 'webhook-timestamp';

describe('timestamp', () => {
  it('digits parse as unix seconds', () => {
    expect(parseUnixSeconds('1614265330', H)).toBe(1614265330);
  });

  it.each(['', '-1', '1.5', ' 1', '1e9', '0x10', 'abc', '1234567890123456'])(
    '%j is malformed',
    (value) => {
      expectRejection(() => parseUnixSeconds(value, H), 'malformed_header', H);
    },
  );

  it('a timestamp exactly at the tolerance either way passes', () => {
    expect(() => checkFreshness(1000, 1300_000, 300, H)).not.toThrow();
    expect(() => checkFreshness(1000, 700_000, 300, H)).not.toThrow();
  });

  it('one millisecond past the tolerance is too old', () => {
    expectRejection(() => checkFreshness(1000, 1300_001, 300, H), 'timestamp_too_old', H);
  });

  it('one millisecond before the tolerance is too new', () => {
    expectRejection(() => checkFreshness(1000, 699_999, 300, H), 'timestamp_too_new', H);
  });

  it('the signing timestamp defaults to the current second of the clock', () => {
    expect(signingTimestamp(undefined, 1_700_000_000_999)).toBe(1_700_000_000);
    expect(signingTimestamp(5, 1_700_000_000_999)).toBe(5);
  });

  it('a signing timestamp that is not whole seconds is refused', () => {
    expect(() => signingTimestamp(1.5, 0)).toThrow(RangeError);
    expect(() => signingTimestamp(-1, 0)).toThrow(RangeError);
  });
});
