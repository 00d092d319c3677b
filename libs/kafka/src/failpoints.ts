/**
 * Failpoints: named places where a test can crash a process on purpose, e.g. between "output
 * produced" and "offset committed", instead of hoping that a random kill lands in that window.
 * A no-op unless enabled by the environment:
 *   PIPELINE_FAILPOINTS="dedupe.after-produce-before-commit"          crash (SIGKILL) there
 *   PIPELINE_FAILPOINTS="a=crash,b=throw"                            crash at a, throw at b
 *   PIPELINE_FAILPOINTS="a=crash@3"                                  crash the 3rd time a is hit
 */
export type FailpointAction = 'crash' | 'throw';

interface Armed {
  action: FailpointAction;
  /** Fires on this hit (1-based). */
  onHit: number;
  hits: number;
}

export class FailpointError extends Error {
  readonly failpoint: string;

  constructor(failpoint: string) {
    super(`failpoint ${failpoint} fired`);
    this.name = 'FailpointError';
    this.failpoint = failpoint;
  }
}

let armed: Map<string, Armed> | undefined;

/** Parses a PIPELINE_FAILPOINTS value; exported for tests. */
export function parseFailpoints(spec: string | undefined): Map<string, Armed> {
  const map = new Map<string, Armed>();
  for (const part of (spec ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const match = /^([\w.:-]+)(?:=(crash|throw)(?:@(\d+))?)?$/.exec(part);
    if (!match) throw new Error(`PIPELINE_FAILPOINTS: cannot parse "${part}"`);
    const [, name = part, action, onHit] = match;
    map.set(name, {
      action: (action as FailpointAction | undefined) ?? 'crash',
      onHit: Number(onHit ?? 1),
      hits: 0,
    });
  }
  return map;
}

/** Re-reads the environment (tests that change PIPELINE_FAILPOINTS call this). */
export function resetFailpoints(env: NodeJS.ProcessEnv = process.env): void {
  armed = parseFailpoints(env['PIPELINE_FAILPOINTS']);
}

/** Marks a named point; crashes or throws there if that point is armed. */
export function failpoint(name: string): void {
  armed ??= parseFailpoints(process.env['PIPELINE_FAILPOINTS']);
  if (armed.size === 0) return;
  const point = armed.get(name);
  if (!point) return;
  point.hits += 1;
  if (point.hits !== point.onHit) return;
  if (point.action === 'throw') throw new FailpointError(name);
  // A crash, not an exit: no finally blocks, no flush, no commit — like a power cut.
  process.kill(process.pid, 'SIGKILL');
}
