import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * A bulk restore writes without syncing (see `bulk` in partition-db.ts). While it runs, a marker
 * file in the partition's folder records the boot it started in:
 * - the process dies: the OS still has every page it wrote, the DB is consistent up to its last
 *   commit, and the next restore (same boot) resumes from the checkpoint;
 * - the OS dies (boot id changed): unsynced pages may be lost in any order, the DB may be corrupt,
 *   so it is deleted unread and rebuilt from the changelog.
 * The marker goes away only after the data file has been synced.
 */
const MARKER = 'BULK-RESTORE';
const DATA_FILE = 'data.mdb';

export function currentBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined; // not Linux: a marker is then never trusted
  }
}

export type MarkerState = 'none' | 'same-boot' | 'other-boot';

export function readBulkMarker(dir: string): MarkerState {
  let content: string;
  try {
    content = readFileSync(join(dir, MARKER), 'utf8');
  } catch {
    return 'none';
  }
  const boot = currentBootId();
  return boot !== undefined && content.split('\n')[0] === boot ? 'same-boot' : 'other-boot';
}

export function writeBulkMarker(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, MARKER);
  writeFileSync(
    file,
    `${currentBootId() ?? 'unknown'}\n${process.pid}\n${new Date().toISOString()}\n`,
  );
  fsyncPath(file);
  fsyncPath(dir);
}

/** Syncs the DB file, then removes the marker (closed DB only). */
export function finishBulk(dir: string): void {
  fsyncPath(join(dir, DATA_FILE));
  rmSync(join(dir, MARKER), { force: true });
  fsyncPath(dir);
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
