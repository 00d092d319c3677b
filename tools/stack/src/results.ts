import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface TestTotals {
  passed: number;
  failed: number;
  suitesFailedToRun: number;
  files: number;
}

interface JestJson {
  numPassedTests: number;
  numFailedTests: number;
  numRuntimeErrorTestSuites?: number;
}

/** Sums the Jest `--json` result files `<project>/.test-results/*.json` of every project. */
export function collectTestTotals(root: string, groups = ['apps', 'libs', 'tools']): TestTotals {
  const totals: TestTotals = { passed: 0, failed: 0, suitesFailedToRun: 0, files: 0 };
  for (const group of groups) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const project of readdirSync(groupDir)) {
      const dir = join(groupDir, project, '.test-results');
      if (!existsSync(dir)) continue;
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
        const json = JSON.parse(readFileSync(join(dir, file), 'utf8')) as JestJson;
        totals.passed += json.numPassedTests;
        totals.failed += json.numFailedTests;
        totals.suitesFailedToRun += json.numRuntimeErrorTestSuites ?? 0;
        totals.files += 1;
      }
    }
  }
  return totals;
}
