import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface TestTotals {
  passed: number;
  failed: number;
  suitesFailedToRun: number;
  files: number;
}

export interface JestJson {
  numPassedTests: number;
  numFailedTests: number;
  numRuntimeErrorTestSuites?: number;
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

/** Sums the Jest `--json` result files `<project>/.test-results/*.json` of every project. */
export function collectTestTotals(root: string, groups = ['apps', 'libs', 'tools']): TestTotals {
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
  return sumTestResults(results);
}
