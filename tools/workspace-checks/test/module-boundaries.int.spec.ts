/**
 * The project tags and `@nx/enforce-module-boundaries` constraints are real: a forbidden import
 * fails lint. Each case lints a virtual file placed inside a project, with the workspace's own
 * ESLint config and Nx project graph.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { workspaceRoot } from '@claude-pipeline/testing';

const root = workspaceRoot();

const cases: Record<string, { filePath: string; specifier: string }> = {
  schemasToSigning: {
    filePath: 'libs/schemas/src/probe.ts',
    specifier: '@claude-pipeline/signing',
  },
  signingToSchemas: {
    filePath: 'libs/signing/src/probe.ts',
    specifier: '@claude-pipeline/schemas',
  },
  libToApp: { filePath: 'libs/kafka/src/probe.ts', specifier: '@claude-pipeline/ingest' },
  appToApp: { filePath: 'apps/ingest/src/probe.ts', specifier: '@claude-pipeline/dedupe' },
  appToAppByPath: { filePath: 'apps/ingest/src/probe.ts', specifier: '../../dedupe/src/main.ts' },
  appToTesting: { filePath: 'apps/ingest/src/probe.ts', specifier: '@claude-pipeline/testing' },
  appTestToTesting: {
    filePath: 'apps/ingest/test/probe.int.spec.ts',
    specifier: '@claude-pipeline/testing',
  },
  libSpecToTesting: {
    filePath: 'libs/kafka/src/probe.spec.ts',
    specifier: '@claude-pipeline/testing',
  },
  kafkaToSchemas: { filePath: 'libs/kafka/src/probe.ts', specifier: '@claude-pipeline/schemas' },
  kafkaToTelemetry: {
    filePath: 'libs/kafka/src/probe.ts',
    specifier: '@claude-pipeline/telemetry',
  },
  appToKafka: { filePath: 'apps/ingest/src/probe.ts', specifier: '@claude-pipeline/kafka' },
};

let errors: Record<string, string[]>;

beforeAll(() => {
  const env = { ...process.env, NX_DAEMON: 'false' };
  // The rule reads Nx's cached project graph; make sure it exists and is current.
  execFileSync('npx', ['nx', 'show', 'projects'], { cwd: root, stdio: 'ignore', env });
  const input = Object.values(cases).map(({ filePath, specifier }) => ({
    filePath,
    code: `import * as probe from '${specifier}';\nexport const used = probe;\n`,
  }));
  const output = execFileSync('node', [join(root, 'tools/workspace-checks/test/lint-probes.mjs')], {
    cwd: root,
    env,
    input: JSON.stringify(input),
    encoding: 'utf8',
  });
  const results = JSON.parse(output) as string[][];
  errors = Object.fromEntries(Object.keys(cases).map((name, i) => [name, results[i] ?? []]));
}, 120_000);

describe('module boundaries', () => {
  it('forbids schemas from importing another internal lib', () => {
    expect(errors['schemasToSigning']!.join('\n')).toMatch(
      /tagged with "type:contract" cannot depend on any libs with tags/,
    );
  });

  it('forbids signing from importing another internal lib', () => {
    expect(errors['signingToSchemas']).toHaveLength(1);
  });

  it('forbids a lib from importing an app', () => {
    // Reported as an app import, a tag violation, or (the app already depends on this lib) a
    // cycle, depending on how the rule resolves it: rejected in every case.
    expect(errors['libToApp']!.join('\n')).toMatch(
      /Imports of apps are forbidden|"type:runtime" can only depend on libs tagged|Circular dependency between "@claude-pipeline\/kafka" and "@claude-pipeline\/ingest"/,
    );
  });

  it('forbids an app from importing another app, by name or by path', () => {
    expect(errors['appToApp']!.join('\n')).toMatch(
      /Imports of apps are forbidden|"type:app" can only depend on libs tagged/,
    );
    expect(errors['appToAppByPath']!.join('\n')).toMatch(
      /cannot be imported by a relative or absolute path/,
    );
  });

  it('forbids production code from importing the testing lib', () => {
    expect(errors['appToTesting']!.join('\n')).toMatch(
      /"type:app" can only depend on libs tagged with "type:contract", "type:security", "type:runtime"$/,
    );
  });

  it('allows tests to import the testing lib', () => {
    expect(errors['appTestToTesting']).toEqual([]);
    expect(errors['libSpecToTesting']).toEqual([]);
  });

  it('allows the dependencies the architecture intends', () => {
    expect(errors['kafkaToSchemas']).toEqual([]);
    expect(errors['kafkaToTelemetry']).toEqual([]);
    expect(errors['appToKafka']).toEqual([]);
  });
});
