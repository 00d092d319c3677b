import type { CliIo } from '../../src/cli.io.ts';
import { runCli } from '../../src/cli.ts';

/** An output stream that records what is written. */
export class Recorder {
  readonly chunks: string[] = [];
  readonly isTTY: boolean;
  readonly columns = 100;

  constructor(isTTY = false) {
    this.isTTY = isTTY;
  }

  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }

  get text(): string {
    return this.chunks.join('');
  }

  /** Every non-empty line parsed as JSON (NDJSON output). */
  get jsonLines(): unknown[] {
    return this.text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as unknown);
  }
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  out: Recorder;
  err: Recorder;
}

/** Runs the CLI in process with recorded streams and only the env given (no process.env). */
export async function runCapture(
  argv: readonly string[],
  io: Partial<CliIo> & { tty?: boolean } = {},
): Promise<CliRun> {
  const out = new Recorder(io.tty);
  const err = new Recorder(io.tty);
  const code = await runCli(argv, { stdout: out, stderr: err, env: {}, ...io });
  return { code, stdout: out.text, stderr: err.text, out, err };
}

/** Starts a long-running command (listen, --watch) in process; stop() aborts it. */
export function startCapture(argv: readonly string[], io: Partial<CliIo> = {}) {
  const out = new Recorder();
  const err = new Recorder();
  const controller = new AbortController();
  const done = runCli(argv, {
    stdout: out,
    stderr: err,
    env: {},
    signal: controller.signal,
    ...io,
  });
  return {
    out,
    err,
    done,
    async stop(): Promise<number> {
      controller.abort();
      return done;
    },
  };
}
