import { appendFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/**
 * The file where `uniqueName` records every name it issues, one `<token> <name>` line each. The
 * integration tier's global setup sets it (one file per Jest run, under `.run/test-resources/`)
 * and its global teardown deletes the topics and consumer groups of those tokens: see
 * `cleanupTestResources` and the README.
 */
export const TEST_RESOURCES_FILE_ENV = 'PIPELINE_TEST_RESOURCES_FILE';

/**
 * A name no other test (or earlier run) uses: every integration test gets its own topics and
 * consumer groups, so tests can run in parallel against one broker and never see stale data.
 * The name is `<prefix>-<token>`, the token `<Date.now() in base 36>-<8 random hex digits>`; names
 * built from it (`${name}.jobs`, `name.replace(/-/g, '_')`) keep the token, which is how the
 * cleanup recognises them.
 */
export function uniqueName(prefix = 'test'): string {
  const token = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const name = `${prefix}-${token}`;
  const file = process.env[TEST_RESOURCES_FILE_ENV];
  if (file) {
    try {
      appendFileSync(file, `${token} ${name}\n`);
    } catch {
      // Recording only serves the cleanup after the run: never fail a test for it.
    }
  }
  return name;
}

// A token anywhere in a name, delimited by the start or end of the name or by '-', '_' or '.'
// (zero-width, so overlapping candidates are all found). `-` may have become `_`.
const TOKEN = /(?<=^|[-_.])(?=([0-9a-z]{8,9})[-_]([0-9a-f]{8})(?:$|[-_.]))/g;
// Its time part must be a time uniqueName could have drawn (2020 up to now): a word followed by
// 8 hex digits (`unrelated-929f774c…` of a UUID) is no token.
const EARLIEST = Date.UTC(2020, 0, 1);
const DAY_MS = 86_400_000;

/**
 * The `uniqueName` tokens a name embeds, in canonical form (`<time36>-<hex8>`): one for
 * `uniqueName('g')`, `${prefix}.jobs` or `e2e_mws13u1e_2a3b4c5d.claude-worker`; none for a
 * fixed name like `pipeline.jobs` or `pipeline.claude-worker`.
 */
export function nameTokens(name: string): string[] {
  const latest = Date.now() + DAY_MS;
  const tokens: string[] = [];
  for (const [, time = '', random = ''] of name.matchAll(TOKEN)) {
    const ms = parseInt(time, 36);
    if (ms >= EARLIEST && ms <= latest) tokens.push(`${time}-${random}`);
  }
  return tokens;
}

/**
 * The rule of the cleanup: a topic or consumer group was created by a test of a run if its name
 * embeds a token `uniqueName` issued in that run (`tokens`). A name without any token (the
 * pipeline's own `pipeline.*` topics and groups) or with another run's token (a parallel run, a
 * benchmark) never matches, and neither does an internal topic (`__consumer_offsets`).
 */
export function isTestResourceName(name: string, tokens: ReadonlySet<string>): boolean {
  return !name.startsWith('__') && nameTokens(name).some((token) => tokens.has(token));
}
