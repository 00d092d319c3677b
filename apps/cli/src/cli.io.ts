/**
 * What a command may touch of the outside world. `main.ts` passes the process's streams and
 * environment; tests pass recorders, their own env and an AbortSignal, and run the CLI in process.
 */
export interface OutputStream {
  write(chunk: string): unknown;
  /** Only a terminal gets progress bars and colours. */
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Env;
  /** Read by `--file -`. */
  stdin?: NodeJS.ReadableStream;
  /** Stops long-running commands (`listen`, `--watch`, `demo`): Ctrl-C in `main.ts`. */
  signal?: AbortSignal;
  /** Relative `--file` paths start here (default: the process's cwd). */
  cwd?: string;
  fetch?: typeof fetch;
  /** Epoch ms. */
  now?: () => number;
  /** Printed by `--version`. */
  version?: string;
}

/** Writes lines to stdout/stderr; `--json` output goes through `json`. */
export interface Printer {
  line(text?: string): void;
  error(text: string): void;
  json(value: unknown): void;
  /** One JSON document per line (streams of events: `listen --json`, `--watch --json`). */
  jsonLine(value: unknown): void;
}

export function printerFor(io: CliIo): Printer {
  return {
    line: (text = '') => io.stdout.write(`${text}\n`),
    error: (text) => io.stderr.write(`${text}\n`),
    json: (value) => io.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    jsonLine: (value) => io.stdout.write(`${JSON.stringify(value)}\n`),
  };
}
