import { UsageError } from './errors.ts';

/** Durations as people type them: `500ms`, `30s`, `5m`, `2h`, `7d`, `1w`; a bare number is seconds. */
const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/;

/** Milliseconds, or undefined when `text` is not a duration. */
export function parseDurationMs(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match?.[1]) return undefined;
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1000));
}

export function durationFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDurationMs(value);
  if (ms === undefined) {
    throw new UsageError(`--${flag} must be a duration like 500ms, 30s, 5m or 2h, got "${value}"`);
  }
  return ms;
}

/**
 * A point in time (epoch ms): an ISO 8601 date or date-time (`2025-01-15`,
 * `2025-01-15T10:00:00Z`), epoch milliseconds (13 digits) or seconds (10 digits), or a duration
 * meaning that long ago (`30m`, `2h`, `7d`).
 */
export function parseTimeFlag(
  value: string | undefined,
  flag: string,
  now: () => number,
): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{13}$/.test(text)) return Number(text);
  if (/^\d{10}$/.test(text)) return Number(text) * 1000;
  const ago = /^\d+(?:\.\d+)?(ms|s|m|h|d|w)$/.test(text) ? parseDurationMs(text) : undefined;
  if (ago !== undefined) return now() - ago;
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return ms;
  }
  throw new UsageError(
    `--${flag} must be a time: ISO 8601 (2025-01-15T10:00:00Z), epoch ms, or an age like 30m, 2h, 7d; got "${value}"`,
  );
}
