// Shared Jest setup. Every project has two tiers, selected with `--selectProjects`:
//   unit         `*.spec.ts` (not `*.int.spec.ts`), no I/O: network connections are refused;
//   integration  `*.int.spec.ts`, against the real local broker (and Jaeger, the sim...);
//                the topics and groups its tests create are deleted after the run.
// TypeScript is transformed by SWC (no type checking here: `typecheck` does that).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const workspaceRoot = dirname(fileURLToPath(import.meta.url));

const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
      module: { type: 'commonjs' },
      sourceMaps: 'inline',
    },
  ],
};

const common = (projectDir) => ({
  rootDir: projectDir,
  transform,
  testEnvironment: 'node',
  // Workspace packages export their TypeScript sources under this condition.
  testEnvironmentOptions: {
    customExportConditions: ['@claude-pipeline/source', 'node', 'node-addons'],
  },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
});

/** @param {string} projectDir @returns {import('jest').Config} */
export function preset(projectDir) {
  return {
    projects: [
      {
        ...common(projectDir),
        displayName: 'unit',
        testMatch: ['<rootDir>/**/*.spec.ts'],
        testPathIgnorePatterns: ['/node_modules/', '/dist/', '\\.int\\.spec\\.ts$'],
        setupFiles: [join(workspaceRoot, 'tools/jest/no-network.cjs')],
      },
      {
        ...common(projectDir),
        displayName: 'integration',
        testMatch: ['<rootDir>/**/*.int.spec.ts'],
        // Setup starts the broker if absent; teardown deletes the topics and consumer groups
        // this run's tests created (libs/testing README, "Cleanup").
        globalSetup: join(workspaceRoot, 'tools/jest/integration-setup.cjs'),
        globalTeardown: join(workspaceRoot, 'tools/jest/integration-teardown.cjs'),
        setupFilesAfterEnv: [join(workspaceRoot, 'tools/jest/integration-timeout.cjs')],
        slowTestThreshold: 30,
      },
    ],
  };
}
