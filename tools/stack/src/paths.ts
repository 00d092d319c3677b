import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'nx.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no nx.json above ${from}`);
    dir = parent;
  }
  return dir;
}

export const ROOT = findRoot(process.cwd());
/** Runtime state of the local stack (pid files, logs, data); never committed. */
export const RUN_DIR = process.env['PIPELINE_RUN_DIR'] ?? join(ROOT, '.run');
export const TEST_RESULTS_DIR = join(RUN_DIR, 'test-results');
