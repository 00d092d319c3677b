import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface TestTotals {
  passed: number;
  failed: number;
  suitesFailedToRun: number;
  files: number;
}

/** The parts of a Jest `--json` result file this summary reads. */
export interface JestJson {
  numPassedTests: number;
  numFailedTests: number;
  numRuntimeErrorTestSuites?: number;
  testResults?: readonly {
    name: string;
    status?: string;
    message?: string;
    assertionResults?: readonly {
      fullName: string;
      status: string;
      failureMessages?: readonly string[];
    }[];
  }[];
}

/** One failed test (or a test file that failed to run), for the end of the `npm test` output. */
export interface TestFailure {
  file: string;
  test: string;
  message: string;
}

/** Adds up Jest `--json` results. */
export function sumTestResults(results: readonly JestJson[]): TestTotals {
  return results.reduce<TestTotals>(
    (t, r) => ({
      passed: t.passed + r.numPassedTests,
      failed: t.failed + r.numFailedTests,
      suitesFailedToRun: t.suitesFailedToRun + (r.numRuntimeErrorTestSuites ?? 0),
      files: t.files + 1,
    }),
    { passed: 0, failed: 0, suitesFailedToRun: 0, files: 0 },
  );
}

// eslint-disable-next-line no-control-regex -- ANSI colour codes in Jest's messages
const ANSI = /\u001b\[[0-9;]*m/g;

/** The first `maxLines` non-empty lines of a Jest failure message, without colour codes. */
export function shortMessage(message: string, maxLines = 12): string {
  return message
    .replace(ANSI, '')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(0, maxLines)
    .join('\n');
}

/**
 * Every failed test of the results, and every test file that failed to run, with the start of
 * its failure message. Paths are made relative to `root`.
 */
export function listFailures(results: readonly JestJson[], root: string): TestFailure[] {
  const failures: TestFailure[] = [];
  for (const result of results) {
    for (const file of result.testResults ?? []) {
      const path = relative(root, file.name);
      const failed = (file.assertionResults ?? []).filter((a) => a.status === 'failed');
      for (const a of failed)
        failures.push({
          file: path,
          test: a.fullName,
          message: shortMessage((a.failureMessages ?? []).join('\n')),
        });
      if (failed.length === 0 && file.status === 'failed')
        failures.push({
          file: path,
          test: '(the file failed to run)',
          message: shortMessage(file.message ?? ''),
        });
    }
  }
  return failures;
}

/** Reads the Jest `--json` result files `<project>/.test-results/*.json` of every project. */
export function readTestResults(root: string, groups = ['apps', 'libs', 'tools']): JestJson[] {
  const results: JestJson[] = [];
  for (const group of groups) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const project of readdirSync(groupDir)) {
      const dir = join(groupDir, project, '.test-results');
      if (!existsSync(dir)) continue;
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
        results.push(JSON.parse(readFileSync(join(dir, file), 'utf8')) as JestJson);
      }
    }
  }
  return results;
}
