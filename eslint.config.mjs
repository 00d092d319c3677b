// ESLint flat config for the whole workspace. Zero warnings are allowed (`--max-warnings 0`).
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

// Which project may depend on which. Tags live in each project's package.json ("nx.tags").
// - apps depend on libs only (never on another app, never on `testing` outside tests);
// - `schemas` (type:contract) and `signing` (type:security) import no internal lib;
// - `telemetry` may use the contracts, `kafka` may use contracts and telemetry;
// - `testing` (type:testing) is importable from test files only (see the override below);
// - tools (type:tooling) use any lib and each other (the e2e suite runs the stack's runner),
//   and nothing ships with them, so no app or lib may depend on a tool.
const prodConstraints = [
  { sourceTag: 'type:contract', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'type:security', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'type:runtime', onlyDependOnLibsWithTags: ['type:contract', 'type:runtime'] },
  {
    sourceTag: 'type:testing',
    onlyDependOnLibsWithTags: ['type:contract', 'type:security', 'type:runtime'],
  },
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: ['type:contract', 'type:security', 'type:runtime'],
  },
  {
    sourceTag: 'type:tooling',
    onlyDependOnLibsWithTags: [
      'type:contract',
      'type:security',
      'type:runtime',
      'type:testing',
      'type:tooling',
    ],
  },
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
];

// Test files may additionally use the `testing` lib (but still never an app).
const testConstraints = prodConstraints.map((c) =>
  c.sourceTag.startsWith('type:')
    ? { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'type:testing'] }
    : c,
);

const boundaries = (depConstraints) => ({
  '@nx/enforce-module-boundaries': [
    'error',
    {
      enforceBuildableLibDependency: false,
      allow: [],
      depConstraints,
    },
  ],
});

const testFiles = ['**/*.spec.ts', '**/test/**/*.ts'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.nx/**', '.run/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  ...tseslint.configs.stylistic,
  {
    files: ['**/*.ts', '**/*.mjs'],
    plugins: { '@nx': nx },
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: 'module',
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      ...boundaries(prodConstraints),
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    files: testFiles,
    rules: {
      ...boundaries(testConstraints),
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // CLIs and dev scripts talk to a terminal on purpose.
    files: ['scripts/**', 'apps/cli/**', '**/src/bin/**', 'bench/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // Tooling config files (jest.config.mjs) import the workspace preset by path on purpose.
    files: ['**/*.config.mjs'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  prettier,
);
