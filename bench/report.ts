import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The line after which a report's hand-written analysis starts. */
export const ANALYSIS_MARKER =
  '<!-- the analysis below is kept when the benchmark rewrites this file -->';

/**
 * Writes a benchmark report, keeping whatever follows the marker in the existing file (the
 * analysis written by hand), so that re-running a benchmark refreshes its numbers only.
 */
export function writeReport(path: string, report: string): void {
  const previous = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const at = previous.indexOf(ANALYSIS_MARKER);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, at >= 0 ? `${report}\n${previous.slice(at)}` : report);
}
