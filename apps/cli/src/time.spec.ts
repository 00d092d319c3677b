import { UsageError } from './errors.ts';
import { durationFlag, parseDurationMs, parseTimeFlag } from './time.ts';

const NOW = Date.parse('2025-01-15T12:00:00.000Z');
const now = () => NOW;

describe('durations and times', () => {
  it('durations take a unit, and a bare number is seconds', () => {
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('30s')).toBe(30_000);
    expect(parseDurationMs('5m')).toBe(300_000);
    expect(parseDurationMs('2h')).toBe(7_200_000);
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs('10')).toBe(10_000);
    expect(parseDurationMs('soon')).toBeUndefined();
    expect(() => durationFlag('soon', 'timeout')).toThrow(UsageError);
  });

  it('an age means that long before now', () => {
    expect(parseTimeFlag('2h', 'since', now)).toBe(NOW - 7_200_000);
    expect(parseTimeFlag('7d', 'since', now)).toBe(NOW - 7 * 86_400_000);
  });

  it('ISO dates and epoch milliseconds or seconds are absolute', () => {
    expect(parseTimeFlag('2025-01-15T10:00:00Z', 'since', now)).toBe(
      Date.parse('2025-01-15T10:00:00Z'),
    );
    expect(parseTimeFlag('2025-01-15', 'since', now)).toBe(Date.parse('2025-01-15'));
    expect(parseTimeFlag('1736935200000', 'since', now)).toBe(1736935200000);
    expect(parseTimeFlag('1736935200', 'since', now)).toBe(1736935200000);
  });

  it('anything else is a usage error naming the flag', () => {
    expect(() => parseTimeFlag('yesterday', 'since', now)).toThrow(/--since must be a time/);
    expect(parseTimeFlag(undefined, 'since', now)).toBeUndefined();
  });
});
