/**
 * The real entry (`src/main.ts`) as a child process, as `npm start` runs it: it listens on the
 * configured port, fails fast naming a bad variable, and stops cleanly on SIGTERM.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { waitFor } from '@claude-pipeline/testing';

const appRoot = join(__dirname, '..');

function run(env: Record<string, string>): {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
} {
  const child = spawn(
    process.execPath,
    ['--conditions=@claude-pipeline/source', join(appRoot, 'src', 'main.ts')],
    { cwd: appRoot, env: { ...process.env, OTEL_SDK_DISABLED: 'true', ...env } },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

describe('src/main.ts', () => {
  it('listens, answers, and exits 0 on SIGTERM', async () => {
    const { child, output } = run({ SIM_PORT: '0', SIM_TTFT_MS: '0', SIM_TOKENS_PER_SECOND: '0' });
    const url = await waitFor(() => /"url":"(http:\/\/[^"]+)"/.exec(output())?.[1]);
    const response = await fetch(`${url}/v1/messages`, {
      method: 'POST',
      headers: {
        'x-api-key': 'k',
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'claude-haiku-4-5',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    expect(response.status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    child.kill('SIGTERM');
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(output()).toMatch(/anthropic-sim stopping/);
  });

  it('a bad variable stops the boot with exit code 1 and a message naming it', async () => {
    const { child, output } = run({ SIM_PORT: 'not-a-port', SIM_FAULTS: '[{"action":{}}]' });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(output()).toMatch(/invalid anthropic-sim configuration/);
    expect(output()).toMatch(/SIM_PORT: /);
    expect(output()).toMatch(/SIM_FAULTS: /);
  });

  it('a webhook URL without its secret is refused', async () => {
    const { child, output } = run({ SIM_BATCH_WEBHOOK_URL: 'http://127.0.0.1:1/x' });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(output()).toMatch(/SIM_BATCH_WEBHOOK_SECRET/);
  });
});
