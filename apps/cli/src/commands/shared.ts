import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CliIo, Env } from '../cli.io.ts';
import { CliError } from '../errors.ts';

/** Flags several commands share, with their help lines. */
export const URL_OPTION = { url: { type: 'string' } } as const;
export const API_KEY_OPTION = { 'api-key': { type: 'string' } } as const;
export const JSON_OPTION = { json: { type: 'boolean' } } as const;

export const URL_HELP =
  '  --url URL            ingest base URL (default $PIPELINE_URL or http://127.0.0.1:8080)';
export const API_KEY_HELP =
  '  --api-key KEY        bearer API key (default $PIPELINE_API_KEY; prefer the variable:\n' +
  '                       flags show up in `ps` and shell history)';
export const JSON_HELP = '  --json               machine-readable output on stdout';
export const HELP_HELP = '  -h, --help           this help';

/** Env variable name part for a source: `my-source` → `MY_SOURCE`. */
export const envPart = (name: string): string => name.toUpperCase().replace(/[^A-Z0-9]/g, '_');

/**
 * Webhook signing secrets: `--secret` (repeatable), else PIPELINE_WEBHOOK_SECRET_<SOURCE>, else
 * PIPELINE_WEBHOOK_SECRET. Several comma-separated values in a variable sign with each (rotation).
 */
export function webhookSecretsFor(env: Env, source: string, flags: readonly string[] | undefined) {
  if (flags && flags.length > 0) return [...flags];
  const value = env[`PIPELINE_WEBHOOK_SECRET_${envPart(source)}`] ?? env['PIPELINE_WEBHOOK_SECRET'];
  return splitSecrets(value);
}

export function splitSecrets(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** `--file PATH` (or `-` for stdin) as bytes, relative to the io's cwd. */
export async function readInput(io: CliIo, path: string): Promise<Buffer> {
  if (path === '-') {
    if (!io.stdin) throw new CliError('--file -: no standard input');
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    }
    return Buffer.concat(chunks);
  }
  const full = resolve(io.cwd ?? process.cwd(), path);
  try {
    return await readFile(full);
  } catch (error) {
    const code = (error as { code?: string }).code ?? (error as Error).message;
    throw new CliError(`cannot read ${path}: ${code}`, { exitCode: 2, cause: error });
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolveSleep) => {
    if (signal.aborted) {
      resolveSleep();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolveSleep();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
