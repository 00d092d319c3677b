import { formatDuration, parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it('reads a number with a unit, or bare milliseconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('36h')).toBe(129_600_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration(' 250 ')).toBe(250);
  });

  it('rejects anything else', () => {
    for (const bad of ['', '7 days', '-1s', '1.5h', 'h', '1w', '99999999999999999d']) {
      expect(parseDuration(bad)).toBeUndefined();
    }
  });
});

describe('formatDuration', () => {
  it('uses the largest unit that divides the value', () => {
    expect(formatDuration(604_800_000)).toBe('7d');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(1500)).toBe('1500ms');
  });
});
