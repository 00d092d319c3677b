/**
 * `npm start` as a newcomer runs it: it brings up the infrastructure, lists the topics, says
 * what runs and what does not, and stops on Ctrl-C (SIGINT) without stopping what it did not
 * start.
 */
import { spawn } from 'node:child_process';
import { localBroker } from '@claude-pipeline/kafka';
import { waitFor, workspaceRoot } from '@claude-pipeline/testing';

it('prints the ready banner with the broker and every topic, and stops cleanly on SIGINT', async () => {
  const root = workspaceRoot();
  // Its own process group, like a terminal's foreground job, so that Ctrl-C can be sent to it.
  const child = spawn('npm', ['start', '--silent'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );

  try {
    await waitFor(() => output.includes('Press Ctrl-C to stop.'), {
      timeoutMs: 240_000,
      description: `the ready banner; output so far:\n${output}`,
    });
    expect(output).toContain(`Kafka      ${localBroker()}`);
    for (const topic of [
      'pipeline.events',
      'pipeline.jobs',
      'pipeline.results',
      'pipeline.notifier.dlq',
    ]) {
      expect(output).toContain(topic);
    }
    expect(output).toContain(
      `query API http://127.0.0.1:${process.env['JAEGER_QUERY_PORT'] ?? '16686'}`,
    );
    // Every service it announces answered its readiness check; the sim stands in for the API.
    expect(output).toMatch(/anthropic-sim\s+http:\/\/127\.0\.0\.1:4010\/v1 .*\(ready\)/);
    expect(output).toMatch(/notifier\s+http:\/\/127\.0\.0\.1:8084\/metrics .*\(ready\)/);
    for (const port of [4010, 8084]) {
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    }
  } finally {
    // Ctrl-C: SIGINT to the whole foreground process group (npm and the stack script).
    process.kill(-child.pid!, 'SIGINT');
  }
  const { code, signal } = await exited;
  // npm itself dies of the SIGINT; the stack script under it exits cleanly after stopping.
  expect(code === 0 || signal === 'SIGINT').toBe(true);
  expect(output).toContain('[stack] stopped');
}, 300_000);
