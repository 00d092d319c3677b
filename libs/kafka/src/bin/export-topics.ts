/** Writes docs/topics.json from the topic catalog (see ../topics/topics-file.ts). */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderTopicsFile } from '../topics/topics-file.ts';

const path = resolve(import.meta.dirname, '../../../../docs/topics.json');
writeFileSync(path, renderTopicsFile());
console.log(`wrote ${path}`);
