import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderTopicsFile } from './topics-file.ts';

it('docs/topics.json is the current topic catalog (regenerate: npm run docs:topics)', () => {
  const committed = readFileSync(join(__dirname, '../../../../docs/topics.json'), 'utf8');
  expect(JSON.parse(committed)).toEqual(JSON.parse(renderTopicsFile()));
});
