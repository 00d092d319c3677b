import { spawn, type SpawnOptions } from 'node:child_process';
import { ROOT } from './paths.ts';

export interface RunResult {
  code: number;
  stdout: string;
}

/**
 * Runs a command to completion, streaming its output with a prefix (or capturing it), and
 * resolves with its exit code; never throws for a non-zero exit.
 */
export function run(
  command: string,
  args: readonly string[],
  {
    prefix,
    capture = false,
    env,
    timeoutMs,
  }: { prefix?: string; capture?: boolean; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const options: SpawnOptions = {
      cwd: ROOT,
      env: env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    };
    const child = spawn(command, args, options);
    let stdout = '';
    const timer = timeoutMs ? setTimeout(() => child.kill('SIGTERM'), timeoutMs) : undefined;
    const forward = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
      const text = chunk.toString();
      if (capture && stream === process.stdout) {
        stdout += text;
        return;
      }
      stream.write(prefix ? text.replace(/^(?=.)/gm, prefix) : text);
    };
    child.stdout?.on('data', forward(process.stdout));
    child.stderr?.on('data', forward(process.stderr));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout });
    });
  });
}
