import { listFailures, shortMessage, sumTestResults } from './results.ts';

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

describe('listFailures', () => {
  it('names each failed test with the start of its message, and each file that failed to run', () => {
    const failures = listFailures(
      [
        {
          numPassedTests: 1,
          numFailedTests: 1,
          testResults: [
            {
              name: '/repo/tools/e2e/test/chaos.int.spec.ts',
              status: 'failed',
              assertionResults: [
                { fullName: 'chaos drained', status: 'passed' },
                {
                  fullName: 'chaos lost no job',
                  status: 'failed',
                  failureMessages: ['\u001b[31mError: expect(received)\u001b[39m\n\n  lost: 2\n'],
                },
              ],
            },
          ],
        },
        {
          numPassedTests: 0,
          numFailedTests: 0,
          numRuntimeErrorTestSuites: 1,
          testResults: [
            {
              name: '/repo/apps/ingest/src/x.spec.ts',
              status: 'failed',
              message: 'Cannot find module',
              assertionResults: [],
            },
          ],
        },
      ],
      '/repo',
    );
    expect(failures).toEqual([
      {
        file: 'tools/e2e/test/chaos.int.spec.ts',
        test: 'chaos lost no job',
        message: 'Error: expect(received)\n  lost: 2',
      },
      {
        file: 'apps/ingest/src/x.spec.ts',
        test: '(the file failed to run)',
        message: 'Cannot find module',
      },
    ]);
  });

  it('keeps only the first lines of a long message', () => {
    const long = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
    expect(shortMessage(long, 3)).toBe('line 0\nline 1\nline 2');
  });
});
