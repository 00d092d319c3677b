import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { UsageError } from './errors.ts';

/**
 * Flag parsing with `util.parseArgs` (strict: an unknown flag or a missing value is a usage
 * error naming the command's help). Every command accepts `--help`/`-h`; the dispatcher handles
 * it before parsing, so help works even when required flags are missing.
 */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

export function parseCommandArgs<const O extends ParseArgsOptionsConfig>(
  argv: readonly string[],
  options: O,
  command: string,
) {
  try {
    return parseArgs({
      args: [...argv],
      options: { ...HELP_OPTION, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError((error as Error).message, `see 'pipeline ${command} --help'`);
    }
    throw error;
  }
}

/** Whether `argv` asks for help (before a `--` terminator). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

export function expectPositionals(
  positionals: readonly string[],
  { min, max, command, what }: { min: number; max: number; command: string; what: string },
): void {
  if (positionals.length < min) {
    throw new UsageError(`missing ${what}`, `see 'pipeline ${command} --help'`);
  }
  if (positionals.length > max) {
    throw new UsageError(
      `unexpected argument${positionals.length - max > 1 ? 's' : ''}: ${positionals.slice(max).join(' ')}`,
      `see 'pipeline ${command} --help'`,
    );
  }
}

export function intFlag(
  value: string | undefined,
  flag: string,
  { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be an integer between ${min} and ${max}, got "${value}"`);
  }
  return n;
}

export function numberFlag(
  value: string | undefined,
  flag: string,
  { min = -Infinity, max = Infinity } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be a number between ${min} and ${max}, got "${value}"`);
  }
  return n;
}

export function choiceFlag<const C extends string>(
  value: string | undefined,
  flag: string,
  choices: readonly C[],
): C | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag} must be one of ${choices.join(', ')}, got "${value}"`);
  }
  return value as C;
}

/** `--metadata k=v` (repeatable) → a record. */
export function keyValueFlags(values: readonly string[] | undefined, flag: string) {
  const out: Record<string, string> = {};
  for (const entry of values ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${flag} expects key=value, got "${entry}"`);
    out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

/** `--header 'Name: value'` (repeatable) → lower-case names. */
export function headerFlags(values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of values ?? []) {
    const colon = entry.indexOf(':');
    const name = colon <= 0 ? '' : entry.slice(0, colon).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new UsageError(`--header expects "Name: value", got "${entry}"`);
    }
    out[name.toLowerCase()] = entry.slice(colon + 1).trim();
  }
  return out;
}
