import type { DestinationStream } from 'pino';

/** A pino destination that keeps every line in memory, parsed. */
export interface LogCapture extends DestinationStream {
  readonly lines: Record<string, unknown>[];
  /** Every line as written, for "does this text appear anywhere" checks. */
  readonly text: () => string;
}

export function captureLogs(): LogCapture {
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    text: () => raw.join(''),
    write(line: string) {
      raw.push(line);
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
}
