/**
 * Refreshes the compatibility baseline `libs/schemas/compat/snapshots/<name>.v<n>.json` from the
 * current schemas, refusing (exit 1, nothing written) when a change would break readers or
 * writers of the snapshot. A breaking change needs a new major version instead (README.md).
 *
 *   node --conditions=@claude-pipeline/source libs/schemas/src/bin/update-compat.ts
 */
import { isDeepStrictEqual } from 'node:util';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as prettier from 'prettier';
import { findBreakingChanges } from '../compat.ts';
import { CONTRACT_LIST } from '../contracts.ts';
import { renderJson, schemaFileName } from '../generated.ts';
import { toJsonSchema, type JsonObject } from '../json-schema.ts';

const snapshotDir = resolve(import.meta.dirname, '../../compat/snapshots');

const pending: { path: string; content: string }[] = [];
const problems: string[] = [];
for (const contract of CONTRACT_LIST) {
  const path = join(snapshotDir, schemaFileName(contract));
  const current = toJsonSchema(contract);
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const previous = text === undefined ? undefined : (JSON.parse(text) as JsonObject);
  if (isDeepStrictEqual(previous, current)) continue;
  if (previous !== undefined) {
    for (const change of findBreakingChanges(previous, current)) {
      problems.push(`${contract.name} v${contract.version}: ${change.path}: ${change.change}`);
    }
  }
  // Formatted as the repository's prettier config wants, so `format:check` stays green.
  const options = (await prettier.resolveConfig(path)) ?? {};
  pending.push({
    path,
    content: await prettier.format(renderJson(current), { ...options, parser: 'json' }),
  });
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`breaking: ${problem}`);
  console.error('nothing written: make the change additive, or publish a new major version');
  process.exitCode = 1;
} else {
  await mkdir(snapshotDir, { recursive: true });
  for (const { path, content } of pending) {
    await writeFile(path, content);
    console.log(`wrote ${path}`);
  }
  console.log(`${CONTRACT_LIST.length} contracts, ${pending.length} snapshots updated`);
}
