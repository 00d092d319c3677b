/** `npm run manifests`: writes deploy/strimzi/*.yaml from the catalogs. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderStrimzi } from '../render.ts';

const out = resolve(import.meta.dirname, '../../../../deploy/strimzi');
mkdirSync(out, { recursive: true });
for (const [file, content] of renderStrimzi()) {
  writeFileSync(join(out, file), content);
  console.log(`wrote deploy/strimzi/${file}`);
}
