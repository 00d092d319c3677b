/**
 * `.ci/run` ends with the `N passed, N failed` summary line whatever happens, after its timing
 * line, and exits with npm test's code. Run on a copy of the script in a temp folder, with a fake
 * `npm` first on PATH (the real node stays reachable for `node --version`): nothing is installed
 * or tested for real.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceRoot } from '@claude-pipeline/testing';

/** Fake npm: `--version`, `ci` (exit $FAKE_CI_RC), `test` (prints $FAKE_TEST_OUT, exit $FAKE_TEST_RC). */
const FAKE_NPM = `#!/usr/bin/env bash
case "$1" in
  --version) echo 10.0.0 ;;
  ci) echo "fake npm ci"; exit "\${FAKE_CI_RC:-0}" ;;
  test)
    echo "test started" >&2
    printf '%b' "\${FAKE_TEST_OUT:-}"
    exit "\${FAKE_TEST_RC:-0}" ;;
  *) echo "fake npm: unexpected $*" >&2; exit 99 ;;
esac
`;

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ci-run-'));
  mkdirSync(join(dir, '.ci'));
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(workspaceRoot(), '.ci/run'), join(dir, '.ci/run'));
  writeFileSync(join(dir, 'bin/npm'), FAKE_NPM);
  chmodSync(join(dir, 'bin/npm'), 0o755);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ciRun(env: Record<string, string>): { code: number | null; lines: string[] } {
  const result = spawnSync('bash', [join(dir, '.ci/run')], {
    env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env['PATH'] ?? ''}`, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (result.error) throw result.error;
  return { code: result.status, lines: result.stdout.trimEnd().split('\n') };
}

it('passes npm test through live, then the timing line, then its summary again, last', () => {
  const { code, lines } = ciRun({
    FAKE_TEST_OUT: 'lint ok\\n12 passed, 0 failed\\n',
    FAKE_TEST_RC: '0',
  });
  expect(code).toBe(0);
  expect(lines[0]).toMatch(/^ci: node v\d+/);
  expect(lines).toContain('fake npm ci');
  expect(lines).toContain('lint ok');
  expect(lines.at(-2)).toMatch(/^ci: npm ci \d+ s, npm test \d+ s, total \d+ s, exit 0$/);
  expect(lines.at(-1)).toBe('12 passed, 0 failed');
});

it("keeps npm test's failing exit code, with its summary last", () => {
  const { code, lines } = ciRun({
    // A test named like a summary earlier in the log does not count: the last one does.
    FAKE_TEST_OUT: '1 passed, 0 failed\\n✕ something\\n7 passed, 2 failed\\n',
    FAKE_TEST_RC: '1',
  });
  expect(code).toBe(1);
  expect(lines.at(-2)).toMatch(/exit 1$/);
  expect(lines.at(-1)).toBe('7 passed, 2 failed');
});

it('a test run that ended without a summary still ends with one, as a failure', () => {
  const crashed = ciRun({ FAKE_TEST_OUT: 'half a run\\n', FAKE_TEST_RC: '3' });
  expect(crashed.code).toBe(3);
  expect(crashed.lines.at(-1)).toBe('0 passed, 1 failed');

  const silent = ciRun({ FAKE_TEST_OUT: '', FAKE_TEST_RC: '0' });
  expect(silent.code).toBe(1);
  expect(silent.lines.at(-1)).toBe('0 passed, 1 failed');
});

it('a failed npm ci ends with the summary line and runs no tests', () => {
  const { code, lines } = ciRun({ FAKE_CI_RC: '1', FAKE_TEST_OUT: 'should not run\\n' });
  expect(code).toBe(1);
  expect(lines).not.toContain('should not run');
  expect(lines.at(-1)).toBe('0 passed, 1 failed');
});
