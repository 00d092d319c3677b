/**
 * Writes the generated contract docs: `docs/generated/asyncapi.json` and one JSON Schema per
 * contract in `docs/generated/schemas/`, from the schemas of this lib and the topic catalog in
 * `docs/topics.json`. `--check` writes nothing and exits 1 if a file is missing or stale.
 *
 *   node --conditions=@claude-pipeline/source libs/schemas/src/bin/generate-docs.ts [--check]
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { renderGeneratedDocs } from '../generated.ts';
import { topicsFileSchema } from '../topics.ts';
import { parse } from '../parse.ts';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });

const root = resolve(import.meta.dirname, '../../../..');
const outDir = join(root, 'docs/generated');
const topicsPath = join(root, 'docs/topics.json');

const readOrUndefined = (path: string): Promise<string | undefined> =>
  readFile(path, 'utf8').catch(() => undefined);

try {
  const topics = parse(topicsFileSchema, JSON.parse(await readFile(topicsPath, 'utf8'))).topics;
  const files = renderGeneratedDocs(topics);
  const existing = (await readdir(join(outDir, 'schemas')).catch(() => [] as string[]))
    .filter((name) => name.endsWith('.json'))
    .map((name) => `schemas/${name}`);
  const stale = existing.filter((path) => !files.has(path));

  const changed: string[] = [];
  for (const [path, content] of files) {
    if ((await readOrUndefined(join(outDir, path))) !== content) changed.push(path);
  }

  if (values.check) {
    for (const path of [...changed, ...stale]) console.error(`out of date: docs/generated/${path}`);
    if (changed.length + stale.length > 0) {
      console.error(
        'run: node --conditions=@claude-pipeline/source libs/schemas/src/bin/generate-docs.ts',
      );
      process.exitCode = 1;
    } else {
      console.log(`docs/generated is up to date (${files.size} files)`);
    }
  } else {
    for (const path of changed) {
      await mkdir(dirname(join(outDir, path)), { recursive: true });
      await writeFile(join(outDir, path), files.get(path) ?? '');
      console.log(`wrote docs/generated/${path}`);
    }
    for (const path of stale) {
      await rm(join(outDir, path));
      console.log(`removed docs/generated/${path}`);
    }
    console.log(`${files.size} files, ${changed.length} written, ${stale.length} removed`);
  }
} catch (error) {
  console.error(`generate-docs: ${(error as Error).message}`);
  process.exitCode = 1;
}
