import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitFor, workspaceRoot } from '@claude-pipeline/testing';

/**
 * The `pipeline` bin is a JS shim: Node strips types but not under node_modules, so the shim
 * runs src/main.ts in a child Node with the source condition. These run it as npm would: by
 * path, through the workspace link in node_modules, and through a `.bin`-style symlink.
 */
const cliDir = resolve(workspaceRoot(), 'apps/cli');
const shim = join(cliDir, 'bin/pipeline.js');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env['PATH'], ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

describe('the pipeline bin', () => {
  it('runs the TypeScript sources: --help exits 0 with the command list', async () => {
    const result = await run(shim, ['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('usage: pipeline <command>');
    expect(result.stderr).toBe('');
  });

  it('passes arguments and the exit code through', async () => {
    const result = await run(shim, ['jobs', 'get']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('pipeline: missing job id');
    const version = await run(shim, ['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('works through the workspace link under node_modules and a .bin symlink', async () => {
    const linked = join(workspaceRoot(), 'node_modules/@claude-pipeline/cli/bin/pipeline.js');
    expect((await run(linked, ['send', 'job', '--help'])).code).toBe(0);

    const dir = await mkdtemp(join(tmpdir(), 'pipeline-bin-'));
    await mkdir(join(dir, 'node_modules/.bin'), { recursive: true });
    await symlink(shim, join(dir, 'node_modules/.bin/pipeline'));
    const viaBin = await run(join(dir, 'node_modules/.bin/pipeline'), ['dlq', 'list', '--help']);
    expect(viaBin.code).toBe(0);
    expect(viaBin.stdout).toContain('usage: pipeline dlq list');
  });

  it('a SIGTERM to the shim stops a long-running command cleanly', async () => {
    const child = spawn(process.execPath, [shim, 'listen', '--port', '0', '--skip-verify'], {
      env: { PATH: process.env['PATH'] },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await waitFor(() => stderr.includes('Ready! Listening on'), { description: 'listen ready' });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
