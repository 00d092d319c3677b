import type { OutputStream } from '../cli.io.ts';

/**
 * A one-line progress bar on stderr, redrawn in place. It draws only on a terminal and never
 * with `--json`: piped output and scripts see nothing of it (the summary line is printed by the
 * command either way).
 */
export interface Progress {
  /** Adds `n` (default 1) to the done count. */
  tick(n?: number): void;
  /** Sets the done count (and optionally the total, or the label). */
  update(done: number, total?: number, label?: string): void;
  /** Removes the bar. */
  stop(): void;
}

export interface ProgressOptions {
  stream: OutputStream;
  label: string;
  /** Unknown total: a counter without a bar. */
  total?: number;
  /** False with `--json`. */
  enabled?: boolean;
  /** Redraw at most this often (ms). Default 80 ms. */
  intervalMs?: number;
  now?: () => number;
}

const BAR_WIDTH = 24;

export function createProgress(options: ProgressOptions): Progress {
  const { stream } = options;
  const enabled = (options.enabled ?? true) && stream.isTTY === true;
  if (!enabled) return { tick: () => undefined, update: () => undefined, stop: () => undefined };

  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? 80;
  let done = 0;
  let total = options.total;
  let label = options.label;
  let lastDraw = -Infinity;
  let drawn = false;

  const draw = (force: boolean) => {
    const t = now();
    if (!force && t - lastDraw < interval) return;
    lastDraw = t;
    const text = renderProgressLine(label, done, total, stream.columns ?? 80);
    stream.write(`\r\x1b[2K${text}`);
    drawn = true;
  };

  draw(true);
  return {
    tick(n = 1) {
      done += n;
      draw(total !== undefined && done >= total);
    },
    update(value, newTotal, newLabel) {
      done = value;
      if (newTotal !== undefined) total = newTotal;
      if (newLabel !== undefined) label = newLabel;
      draw(newLabel !== undefined);
    },
    stop() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}

/** The text of one frame: `label [#########---------] 12/40  30%`. */
export function renderProgressLine(
  label: string,
  done: number,
  total: number | undefined,
  columns: number,
): string {
  if (total === undefined || total <= 0) return `${label} ${done}`.slice(0, columns - 1);
  const ratio = Math.min(1, Math.max(0, done / total));
  const filled = Math.round(ratio * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
  const text = `${label} ${bar} ${done}/${total} ${String(Math.floor(ratio * 100)).padStart(3)}%`;
  return text.slice(0, Math.max(0, columns - 1));
}
