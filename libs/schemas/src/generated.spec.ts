import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderGeneratedDocs } from './generated.ts';
import { parse } from './parse.ts';
import { topicsFileSchema } from './topics.ts';

const root = resolve(__dirname, '../../..');
const generatedDir = join(root, 'docs/generated');
const REGENERATE =
  'run: node --conditions=@claude-pipeline/source libs/schemas/src/bin/generate-docs.ts';

describe('generated docs', () => {
  const topics = parse(
    topicsFileSchema,
    JSON.parse(readFileSync(join(root, 'docs/topics.json'), 'utf8')),
  ).topics;
  const files = renderGeneratedDocs(topics);

  it('are up to date with the schemas and docs/topics.json', () => {
    const stale: string[] = [];
    for (const [path, content] of files) {
      let onDisk: string | undefined;
      try {
        onDisk = readFileSync(join(generatedDir, path), 'utf8');
      } catch {
        onDisk = undefined;
      }
      if (onDisk !== content) stale.push(path);
    }
    expect({ stale, hint: stale.length > 0 ? REGENERATE : '' }).toEqual({ stale: [], hint: '' });
  });

  it('leave no schema file of a contract that no longer exists', () => {
    const extra = readdirSync(join(generatedDir, 'schemas')).filter(
      (name) => !files.has(`schemas/${name}`),
    );
    expect(extra).toEqual([]);
  });

  it('are rendered deterministically', () => {
    expect(renderGeneratedDocs(topics)).toEqual(files);
  });
});
