/**
 * The README's quick start, exactly as written: `npm start` until its ready banner, then the
 * banner's own "first steps" (its `export` lines and `npm run pipeline -- demo`) in another
 * process, then Ctrl-C. If the README, the banner or the demo drift apart, this fails.
 *
 * `npm start` uses the fixed local ports (8080, 8082-8085, 4010); the broker and Jaeger are the
 * ones `npm test` already runs (it leaves running what it did not start).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, workspaceRoot } from '@claude-pipeline/testing';

jest.setTimeout(600_000);

const root = workspaceRoot();

/** The shell lines of the README's "Quick start" code blocks. */
function quickStartCommands(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.split(/^## Quick start$/m)[1]?.split(/^## /m)[0] ?? '';
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  return blocks
    .flatMap((b) => b.split('\n'))
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l.length > 0);
}

function run(
  command: string,
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; output: () => string } {
  const child = spawn('bash', ['-c', command], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  return { child, output: () => output };
}

async function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('README quick start', () => {
  it('lists npm ci, npm start, npm test and the demo', () => {
    const commands = quickStartCommands();
    expect(commands).toEqual(
      expect.arrayContaining(['npm ci', 'npm start', 'npm test', 'npm run pipeline -- demo']),
    );
  });

  it('npm start prints a ready banner whose first steps run the demo end to end', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
    delete env['ANTHROPIC_API_KEY'];
    const start = run('npm start', env);
    try {
      await waitFor(
        () => {
          if (start.child.exitCode !== null)
            throw new Error(
              `npm start exited ${start.child.exitCode}:\n${start.output().slice(-4000)}`,
            );
          return start.output().includes('claude-pipeline local stack is ready');
        },
        { timeoutMs: 300_000, intervalMs: 500, description: 'the ready banner' },
      );
      const banner = start.output().split('claude-pipeline local stack is ready')[1] ?? '';
      for (const service of [
        'anthropic-sim',
        'ingest',
        'dedupe',
        'claude-worker',
        'batch-poller',
        'notifier',
      ])
        expect(banner).toMatch(new RegExp(`^\\s+${service}\\s.*\\(ready\\)$`, 'm'));

      // The banner's export lines, then the README's demo command, in a fresh shell.
      const exports = banner
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.startsWith('export '));
      expect(exports.length).toBeGreaterThanOrEqual(3);
      const demoCommand = quickStartCommands().find((c) => c.includes('pipeline -- demo'));
      expect(demoCommand).toBeDefined();
      const demo = run([...exports, `${demoCommand} --timeout 180s`].join('\n'), {
        ...process.env,
        PIPELINE_API_KEY: '',
      });
      const code = await exitOf(demo.child);
      const out = demo.output();
      if (code !== 0) throw new Error(`demo exited ${code}:\n${out.slice(-6000)}`);
      expect(out).toMatch(/delivered/);
      const jaeger = `http://127.0.0.1:${process.env['JAEGER_QUERY_PORT'] ?? '16686'}`;
      expect(out).toContain(`${jaeger}/trace/`);
      expect(out).toMatch(/\/trace\/[0-9a-f]{32}/);
      expect(out).not.toMatch(/skipped|NOT verified|ignored/);
    } finally {
      if (start.child.pid && start.child.exitCode === null)
        process.kill(-start.child.pid, 'SIGINT');
      await exitOf(start.child);
      // Ctrl-C reaches the whole process group (bash, npm, the stack): the stack stops every
      // service and says so; npm and bash end by the signal.
      expect(start.output()).toContain('[stack] stopped');
      expect(start.output()).not.toMatch(/did not stop cleanly|exited \(1\)/);
    }
  });
});
