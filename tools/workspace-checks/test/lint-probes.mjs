// Lints virtual files with the workspace's ESLint config and prints the module-boundary
// messages of each as JSON. Run as a child process: Jest's VM cannot load ESLint's ESM config.
// Input (stdin): [{ "filePath": "libs/x/src/a.ts", "code": "..." }, ...], paths from the root.
import { ESLint } from 'eslint';
import { readFileSync } from 'node:fs';

const cases = JSON.parse(readFileSync(0, 'utf8'));
const eslint = new ESLint({ cwd: process.cwd() });
const out = [];
for (const { filePath, code } of cases) {
  const [result] = await eslint.lintText(code, { filePath: `${process.cwd()}/${filePath}` });
  out.push(
    (result?.messages ?? [])
      .filter((m) => m.ruleId === '@nx/enforce-module-boundaries' || m.fatal)
      .map((m) => m.message),
  );
}
process.stdout.write(JSON.stringify(out));
