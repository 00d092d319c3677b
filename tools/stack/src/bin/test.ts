/**
 * `npm test`: every check and every test, on a fresh machine with nothing run first.
 *   1. format check (Prettier);
 *   2. local infrastructure up: Kafka from Maven Central jars, Jaeger built with `go install`
 *      (installed into a cache on first use), topics provisioned;
 *   3. lint, typecheck, build and unit tests of every project (Nx, cached);
 *   4. integration tests of every project, one project at a time, against the real broker;
 *   5. a summary line `N passed, N failed` (tests, plus each failed non-test step as one failure).
 * Infrastructure this run started is stopped at the end (set PIPELINE_KEEP_INFRA=1 to keep it).
 * Extra arguments are passed to the Nx commands (e.g. `npm test -- --projects=@claude-pipeline/kafka`).
 */
import { globSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { down, up, type Part } from '../infra.ts';
import { ROOT } from '../paths.ts';
import { run } from '../proc.ts';
import { listFailures, readTestResults, sumTestResults } from '../results.ts';

const extra = process.argv.slice(2);
const failedSteps: string[] = [];
const t0 = Date.now();

async function step(name: string, command: string, args: string[]): Promise<boolean> {
  console.log(`\n=== ${name}: ${command} ${args.join(' ')}`);
  const started = Date.now();
  const { code } = await run(command, args);
  console.log(
    `=== ${name}: ${code === 0 ? 'ok' : `FAILED (exit ${code})`} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (code !== 0) failedSteps.push(name);
  return code === 0;
}

// Results of an earlier run must not be counted in this one (Nx restores cached ones).
for (const dir of globSync('{apps,libs,tools}/*/.test-results', { cwd: ROOT })) {
  rmSync(join(ROOT, dir), { recursive: true, force: true });
}

await step('format', 'npx', ['prettier', '--check', '.', '--log-level', 'warn']);

let started: Part[] = [];
let infraUp = false;
try {
  console.log('\n=== infrastructure: Kafka, Jaeger, topics');
  const result = await up();
  started = result.started;
  infraUp = true;
  console.log(
    `=== infrastructure: ok (started: ${started.join(', ') || 'nothing, already running'}; topics: ${result.topics.created.length} created, ${result.topics.unchanged.length} present)`,
  );
} catch (error) {
  console.error(
    `=== infrastructure: FAILED: ${error instanceof Error ? error.message : String(error)}`,
  );
  failedSteps.push('infrastructure');
}

await step('lint, typecheck, build, unit tests', 'npx', [
  'nx',
  'run-many',
  '-t',
  'lint',
  'typecheck',
  'build',
  'test',
  '--output-style=stream-without-prefixes',
  ...extra,
]);

if (infraUp) {
  await step('integration tests', 'npx', [
    'nx',
    'run-many',
    '-t',
    'test-int',
    '--parallel=1',
    '--output-style=stream-without-prefixes',
    ...extra,
  ]);
} else {
  failedSteps.push('integration tests (not run: no infrastructure)');
}

if (started.length > 0 && !process.env['PIPELINE_KEEP_INFRA']) {
  console.log(`\n=== stopping what this run started: ${started.join(', ')}`);
  await down([...started].reverse()).catch((error: unknown) => console.error(String(error)));
}

const results = readTestResults(ROOT);
const totals = sumTestResults(results);
const failed = totals.failed + totals.suitesFailedToRun + failedSteps.length;
// The failed tests again, last: a CI log that keeps only its tail still says what failed.
const failures = listFailures(results, ROOT);
if (failures.length > 0) {
  console.log(`\n=== failed tests (${failures.length})`);
  for (const f of failures.slice(0, 8)) {
    console.log(`\n✕ ${f.file} › ${f.test}`);
    if (f.message !== '') console.log(f.message.replace(/^/gm, '    '));
  }
  if (failures.length > 8) console.log(`\n… and ${failures.length - 8} more`);
}
console.log(`\n=== ${((Date.now() - t0) / 1000).toFixed(0)} s; ${totals.files} result files`);
if (failedSteps.length > 0) console.log(`failed steps: ${failedSteps.join('; ')}`);
if (totals.suitesFailedToRun > 0)
  console.log(`test files that failed to run: ${totals.suitesFailedToRun}`);
console.log(`${totals.passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
