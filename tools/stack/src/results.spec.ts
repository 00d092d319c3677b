import { sumTestResults } from './results.ts';

describe('sumTestResults', () => {
  it('adds passed and failed tests and counts suites that failed to run', () => {
    expect(
      sumTestResults([
        { numPassedTests: 10, numFailedTests: 1 },
        { numPassedTests: 5, numFailedTests: 0, numRuntimeErrorTestSuites: 2 },
      ]),
    ).toEqual({ passed: 15, failed: 1, suitesFailedToRun: 2, files: 2 });
  });

  it('is all zeros for no results', () => {
    expect(sumTestResults([])).toEqual({ passed: 0, failed: 0, suitesFailedToRun: 0, files: 0 });
  });
});
