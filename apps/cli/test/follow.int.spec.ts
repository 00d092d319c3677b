import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { waitFor, workspaceRoot } from '@claude-pipeline/testing';
import { runCapture, startCapture } from './support/capture-io.ts';
import {
  startSseIngest,
  textAttempt,
  type SseIngest,
  type SseJob,
  type StreamEvent,
} from './support/sse-ingest.ts';

/**
 * `pipeline jobs get ID --follow` against a stand-in ingest serving real Server-Sent Events
 * over node:http: a live stream, a connection broken in the middle of an event and resumed
 * with Last-Event-ID, and a `retry` event from the worker. The exact stdout is asserted: every
 * delta once, in order, with the restarted answer on its own line.
 */
const KEY = 'acme-key-0123456789abcdef';
const OTHER_KEY = 'other-key-0123456789abcdef';

const retried: StreamEvent[] = [
  ...textAttempt(1, 1, ['The ', 'quick ', 'brown '], 'none'),
  {
    id: '1.2.-1',
    event: 'retry',
    data: { generation: 1, attempt: 2, reason: { class: 'transient', message: 'stream broke' } },
  },
  ...textAttempt(1, 2, ['The ', 'quick ', 'brown ', 'fox.']),
];
const RETRIED_STDOUT = 'The quick brown \nThe quick brown fox.\n';

describe('jobs get --follow over real SSE', () => {
  let ingest: SseIngest;
  let release: () => void = () => undefined;

  const jobs = (): Record<string, SseJob> => ({
    'job-live': {
      tenantKey: KEY,
      events: textAttempt(1, 1, ['Hello', ', ', 'world', '!']),
      // The rest is sent only once the test saw the first delta printed.
      gate: { at: 2, open: new Promise<void>((r) => (release = r)) },
    },
    'job-retried': {
      tenantKey: KEY,
      events: retried,
      // First connection: block_start and two deltas, then half of the third and a reset.
      dropAfter: (connection) => (connection === 0 ? 3 : undefined),
    },
    'job-failed': {
      tenantKey: KEY,
      events: [
        ...textAttempt(1, 1, ['Sorry'], 'none'),
        {
          id: '1.1.2',
          event: 'failed',
          data: { error: { class: 'invalid', message: 'model not allowed' }, retrying: false },
        },
      ],
    },
    'job-other': { tenantKey: OTHER_KEY, events: textAttempt(1, 1, ['secret']) },
  });

  beforeEach(async () => {
    ingest = await startSseIngest(jobs());
  });

  afterEach(async () => {
    release();
    await ingest.close();
  });

  const env = () => ({ PIPELINE_URL: ingest.url, PIPELINE_API_KEY: KEY });

  it('prints deltas as they arrive, not at the end', async () => {
    const running = startCapture(['jobs', 'get', 'job-live', '--follow'], { env: env() });
    // Only block_start and the first delta are sent until the gate opens: the first delta
    // must be on stdout while the stream is still open.
    await waitFor(() => running.out.text === 'Hello', {
      timeoutMs: 15_000,
      description: 'the first delta on stdout',
    });
    expect(running.err.text).toBe('');
    release();
    const code = await running.done;
    expect(code).toBe(0);
    expect(running.out.text).toBe('Hello, world!\n');
    expect(running.out.chunks).toEqual(['Hello', ', ', 'world', '!', '\n']);
    expect(running.err.text).toBe('--- end_turn · claude-sonnet-4-5 · 21 in / 4 out tokens\n');
    expect(ingest.requests).toHaveLength(1);
  });

  it('resumes a broken connection with Last-Event-ID and shows a retried answer once', async () => {
    const run = await runCapture(['jobs', 'get', 'job-retried', '--follow'], { env: env() });
    expect(run.stderr).not.toContain('gave up');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(RETRIED_STDOUT);
    expect(ingest.requests.map((r) => [r.status, r.headers['last-event-id']])).toEqual([
      [200, undefined],
      [200, '1.1.2'],
    ]);
    expect(ingest.requests[1]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(run.stderr).toMatch(
      /stream of job job-retried: .*reconnecting in .*after event 1\.1\.2/,
    );
    expect(run.stderr).toContain(
      '--- retry: the attempt broke after transient: stream broke; attempt 2 (generation 1) starts the answer again ---',
    );
    expect(run.stderr).toContain('--- end_turn · claude-sonnet-4-5 · 21 in / 4 out tokens');
  });

  it('--json: one object per event, each id once and in order across the reconnect', async () => {
    const run = await runCapture(['jobs', 'get', 'job-retried', '--follow', '--json'], {
      env: env(),
    });
    expect(run.code).toBe(0);
    expect(run.out.jsonLines).toEqual(retried);
  });

  it('a failed stream exits 1 with the reason', async () => {
    const run = await runCapture(['jobs', 'get', 'job-failed', '--follow'], { env: env() });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('Sorry\n');
    expect(run.stderr).toContain('pipeline: job job-failed failed: invalid: model not allowed');
  });

  it('a wrong key, an unknown job and another tenant’s job fail at once', async () => {
    const wrongKey = await runCapture(['jobs', 'get', 'job-live', '--follow'], {
      env: { ...env(), PIPELINE_API_KEY: 'wrong-key-0123456789abcdef' },
    });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain('401 HTTP 401 (invalid_api_key)');
    expect(wrongKey.stderr).toContain('hint: check the API key');
    const unknown = await runCapture(['jobs', 'get', 'job-none', '--follow'], { env: env() });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('pipeline: job job-none not found');
    const other = await runCapture(['jobs', 'get', 'job-other', '--follow'], { env: env() });
    expect(other.code).toBe(1);
    expect(other.stdout).toBe('');
    expect(ingest.requests.map((r) => r.status)).toEqual([401, 404, 404]);
  });

  it('the pipeline bin (a real process) prints the same stdout', async () => {
    const shim = join(resolve(workspaceRoot(), 'apps/cli'), 'bin/pipeline.js');
    const child = spawn(process.execPath, [shim, 'jobs', 'get', 'job-retried', '--follow'], {
      env: { PATH: process.env['PATH'], ...env() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolveCode, reject) => {
      child.on('error', reject);
      child.on('close', resolveCode);
    });
    expect(stderr).toContain('--- end_turn');
    expect(code).toBe(0);
    expect(stdout).toBe(RETRIED_STDOUT);
  });
});
