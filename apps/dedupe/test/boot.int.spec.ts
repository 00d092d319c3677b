/**
 * The process fails fast, naming what is wrong, when it cannot work: a bad variable, or topics
 * that were never provisioned.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { topicNames } from '@claude-pipeline/kafka';
import { uniqueName, workspaceRoot } from '@claude-pipeline/testing';
import { dedupeEnv, stateDir } from './support.ts';

const run = promisify(execFile);

async function boot(env: Record<string, string>): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--conditions=@claude-pipeline/source', join(workspaceRoot(), 'apps/dedupe/src/main.ts')],
      { cwd: workspaceRoot(), env: { ...process.env, ...env }, timeout: 45_000 },
    );
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('dedupe boot', () => {
  const dir = stateDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 1 naming a bad variable', async () => {
    const names = topicNames(uniqueName('boot'));
    const { code, output } = await boot(
      dedupeEnv(names, dir, { DEDUPE_WINDOW: 'a week', DEDUPE_MAX_BATCH_RECORDS: '0' }),
    );
    expect(code).toBe(1);
    expect(output).toMatch(/DEDUPE_WINDOW: expected a duration/);
    expect(output).toMatch(/DEDUPE_MAX_BATCH_RECORDS/);
  });

  it('exits 1 when its topics do not exist', async () => {
    const names = topicNames(uniqueName('boot'));
    const { code, output } = await boot(dedupeEnv(names, dir));
    expect(code).toBe(1);
    expect(output).toContain('npm run topics');
  }, 60_000);
});
