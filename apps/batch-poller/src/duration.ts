/**
 * Durations in configuration: a whole number with a unit (`500ms`, `30s`, `15m`, `36h`, `7d`), or
 * a bare number of milliseconds.
 */
const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const PATTERN = /^(\d+)\s*(ms|s|m|h|d)?$/;

/** Milliseconds, or undefined when `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = PATTERN.exec(text.trim());
  if (!match) return undefined;
  const [, amount = '', unit = 'ms'] = match;
  const factor = UNIT_MS[unit];
  if (factor === undefined) return undefined;
  const ms = Number(amount) * factor;
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** `604800000` → `7d`: the largest unit that divides it, for logs and the README. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const factor = UNIT_MS[unit] ?? 1;
    if (ms >= factor && ms % factor === 0) return `${ms / factor}${unit}`;
  }
  return `${ms}ms`;
}
