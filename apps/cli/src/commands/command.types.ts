import type { CliIo, Printer } from '../cli.io.ts';

/** What every command gets: the io, a printer over it, and the clock, fetch and stop signal. */
export interface CommandContext {
  io: CliIo;
  out: Printer;
  now: () => number;
  fetch: typeof fetch;
  /** Aborted by Ctrl-C (main.ts) or by a test. */
  signal: AbortSignal;
}

/** A command's behaviour; its name and summary are in the registry of cli.ts. */
export interface Command {
  /** Full `--help` text (usage, flags, examples). */
  help: string;
  /** Returns the exit code; throws CliError for a reported failure. */
  run(argv: readonly string[], ctx: CommandContext): Promise<number>;
}

/** Commands of a group (`topics`, `dlq`, `send`, `jobs`) share a summary line in the top help. */
export interface CommandGroup {
  name: string;
  summary: string;
}
