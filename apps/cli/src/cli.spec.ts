import { createVerifier } from '@claude-pipeline/signing';
import { fakeFetch } from '../test/support/fake-fetch.ts';
import { jobStatus } from '../test/support/job-status.ts';
import { runCapture } from '../test/support/capture-io.ts';
import { COMMANDS } from './cli.ts';

const API_KEY = 'test-api-key-0123456789';
const GH_SECRET = 'github-secret-never-printed';
const env = { PIPELINE_URL: 'http://ingest.test', PIPELINE_API_KEY: API_KEY };

describe('pipeline: commands, help and exit codes', () => {
  it('without a command it prints the command list and exits 2', async () => {
    const run = await runCapture([]);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('usage: pipeline <command>');
    for (const command of COMMANDS) expect(run.stdout).toContain(command.path.join(' '));
  });

  it('--help and --version exit 0', async () => {
    expect((await runCapture(['--help'])).code).toBe(0);
    const version = await runCapture(['--version'], { version: '1.2.3' });
    expect(version).toMatchObject({ code: 0, stdout: '1.2.3\n' });
  });

  it.each(COMMANDS.map((c) => [c.path.join(' ')]))(
    '`pipeline %s --help` prints its usage, flags and examples',
    async (path) => {
      const run = await runCapture([...path.split(' '), '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^usage: pipeline ${path}`));
      expect(run.stdout).toMatch(/--help/);
      expect(run.stdout).toMatch(/examples?:/);
      // `help <command>` says the same.
      expect((await runCapture(['help', ...path.split(' ')])).stdout).toBe(run.stdout);
    },
  );

  it('help works even when required flags are missing', async () => {
    const run = await runCapture(['send', 'webhook', '--help']);
    expect(run.code).toBe(0);
  });

  it('a group without a subcommand shows its commands; an unknown one exits 2', async () => {
    const group = await runCapture(['dlq']);
    expect(group.code).toBe(2);
    expect(group.stdout).toContain('dlq redrive');
    expect((await runCapture(['dlq', '--help'])).code).toBe(0);
    const unknown = await runCapture(['dlq', 'purge']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'dlq purge'");
    const nothing = await runCapture(['frobnicate']);
    expect(nothing).toMatchObject({ code: 2 });
    expect(nothing.stderr).toContain("unknown command 'frobnicate'");
  });

  it('an unknown flag exits 2 with a pointer to the help', async () => {
    const run = await runCapture(['jobs', 'get', 'abc', '--nope']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Unknown option '--nope'");
    expect(run.stderr).toContain("hint: see 'pipeline jobs get --help'");
  });

  it('bad flags are refused before anything connects', async () => {
    // A broker address nothing listens on: the flag error must come first.
    const kafkaEnv = { KAFKA_BROKERS: '192.0.2.1:9092' };
    const since = await runCapture(['dlq', 'list', '--since', 'yesterday'], { env: kafkaEnv });
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('--since must be a time');
    const service = await runCapture(['dlq', 'redrive', '--service', 'ingest'], { env: kafkaEnv });
    expect(service.code).toBe(2);
    expect(service.stderr).toContain('--service must be one of dedupe, claude-worker');
    const ref = await runCapture(['dlq', 'show', 'not-a-ref'], { env: kafkaEnv });
    expect(ref.code).toBe(2);
  });

  it('missing required input is a usage error with a hint', async () => {
    const noSource = await runCapture(['send', 'webhook']);
    expect(noSource.code).toBe(2);
    expect(noSource.stderr).toContain('--source is required');
    const noKey = await runCapture(['send', 'job', '--prompt', 'hi'], {
      env: { PIPELINE_URL: 'http://ingest.test' },
    });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('hint: set PIPELINE_API_KEY');
    const noSecret = await runCapture(['listen']);
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain('PIPELINE_CALLBACK_SECRET');
    const noId = await runCapture(['jobs', 'get'], { env });
    expect(noId.code).toBe(2);
    expect(noId.stderr).toContain('missing job id');
    const badId = await runCapture(['jobs', 'get', '../admin'], { env });
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('is not a job id');
  });
});

describe('pipeline send webhook (fake fetch)', () => {
  it('posts a GitHub-signed pull_request and prints the job and its trace link', async () => {
    const ingest = fakeFetch(() => ({
      status: 202,
      body: { status: 'accepted', id: 'job-123', status_url: '/v1/jobs/job-123' },
    }));
    const run = await runCapture(
      ['send', 'webhook', '--source', 'github', '--event', 'pull_request'],
      { env: { ...env, PIPELINE_WEBHOOK_SECRET_GITHUB: GH_SECRET }, fetch: ingest.fetch },
    );
    expect(run.code).toBe(0);
    const [request] = ingest.requests;
    expect(request?.url).toBe('http://ingest.test/v1/webhooks/github');
    expect(request?.headers['x-github-event']).toBe('pull_request');
    expect(() =>
      createVerifier({ scheme: 'github', secrets: [GH_SECRET] }).verify(
        request!.body,
        request!.headers,
      ),
    ).not.toThrow();
    const traceId = request!.headers['traceparent']!.split('-')[1];
    expect(run.stdout).toContain('job job-123');
    expect(run.stdout).toContain(`http://127.0.0.1:16686/trace/${traceId}`);
    expect(run.stdout).toContain('pipeline jobs get job-123 --watch');
    expect(run.stdout + run.stderr).not.toContain(GH_SECRET);
  });

  it('a rejection exits 1 with the problem on stderr', async () => {
    const ingest = fakeFetch(() => ({
      status: 401,
      body: {
        type: 'about:blank',
        title: 'Unauthorized',
        status: 401,
        code: 'bad_signature',
        detail: 'No signature matches.',
      },
    }));
    const run = await runCapture(['send', 'webhook', '--source', 'github', '--secret', GH_SECRET], {
      env,
      fetch: ingest.fetch,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'webhook rejected: 401 Unauthorized (bad_signature): No signature matches.',
    );
    expect(run.stdout + run.stderr).not.toContain(GH_SECRET);
  });

  it('--json describes the request and the answer without the secret', async () => {
    const ingest = fakeFetch(() => ({
      status: 200,
      body: { status: 'ignored', reason: 'no route' },
    }));
    const run = await runCapture(
      ['send', 'webhook', '--source', 'github', '--event', 'star', '--secret', GH_SECRET, '--json'],
      { env, fetch: ingest.fetch },
    );
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as {
      ok: boolean;
      request: { event: string };
      response: unknown;
    };
    expect(out.ok).toBe(true);
    expect(out.request.event).toBe('star');
    expect(out.response).toEqual({ status: 200, body: { status: 'ignored', reason: 'no route' } });
    expect(run.stdout).not.toContain(GH_SECRET);
  });

  it('an unreachable ingest exits 1 naming the address and how to start the stack', async () => {
    const refused = (async () => {
      throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    }) as unknown as typeof fetch;
    const run = await runCapture(['send', 'webhook', '--source', 'github', '--secret', 'x'], {
      env,
      fetch: refused,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot reach ingest at http://ingest.test: ECONNREFUSED');
    expect(run.stderr).toContain('npm start');
  });
});

describe('pipeline send job (fake fetch)', () => {
  it('checks the body locally: an invalid job never leaves', async () => {
    const ingest = fakeFetch(() => ({ status: 500 }));
    const both = await runCapture(
      ['send', 'job', '-p', 'hi', '--model', 'claude-sonnet-4-5', '--task-class', 'summary'],
      { env, fetch: ingest.fetch },
    );
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('the job is not valid');
    expect(both.stderr).toContain('/task_class');
    const temperature = await runCapture(['send', 'job', '-p', 'hi', '--temperature', '3'], {
      env,
      fetch: ingest.fetch,
    });
    expect(temperature.code).toBe(2);
    expect(ingest.requests).toHaveLength(0);
  });

  it('sends the submission with the bearer key, idempotency key and trace context', async () => {
    const ingest = fakeFetch(() => ({
      status: 202,
      body: { id: 'job-9', status_url: 'http://ingest.test/v1/jobs/job-9' },
      headers: { 'correlation-id': 'corr-9' },
    }));
    const run = await runCapture(
      [
        'send',
        'job',
        '--prompt',
        'Summarise this',
        '--mode',
        'batch',
        '--callback',
        'https://example.com/hook',
        '--metadata',
        'ticket=42',
        '--idempotency-key',
        'order-4711',
        '--max-tokens',
        '256',
        '--json',
      ],
      { env, fetch: ingest.fetch },
    );
    expect(run.code).toBe(0);
    const [request] = ingest.requests;
    expect(request?.url).toBe('http://ingest.test/v1/jobs');
    expect(request?.headers['authorization']).toBe(`Bearer ${API_KEY}`);
    expect(request?.headers['idempotency-key']).toBe('order-4711');
    expect(request?.headers['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(JSON.parse(request!.body.toString())).toEqual({
      prompt: 'Summarise this',
      mode: 'batch',
      callback_url: 'https://example.com/hook',
      metadata: { ticket: '42' },
      max_tokens: 256,
    });
    expect(JSON.parse(run.stdout)).toMatchObject({
      id: 'job-9',
      correlation_id: 'corr-9',
      idempotency_key: 'order-4711',
    });
    expect(run.stdout + run.stderr).not.toContain(API_KEY);
  });
});

describe('pipeline jobs get (fake fetch)', () => {
  it('prints the state, the attempts and the result text', async () => {
    const ingest = fakeFetch(() => ({ status: 200, body: jobStatus('job-1', 'succeeded') }));
    const run = await runCapture(['jobs', 'get', 'job-1'], { env, fetch: ingest.fetch });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/state\s+succeeded {2}\(generation 1, realtime/);
    expect(run.stdout).toMatch(/attempts\s+2025-01-15T10:00:01.000Z {2}processing #1 succeeded/);
    expect(run.stdout).toMatch(/result\s+succeeded · claude-sonnet-4-5/);
    expect(ingest.requests[0]?.headers['authorization']).toBe(`Bearer ${API_KEY}`);
  });

  it("another tenant's job (404) exits 1", async () => {
    const ingest = fakeFetch(() => ({ status: 404, body: { title: 'Not Found', status: 404 } }));
    const run = await runCapture(['jobs', 'get', 'job-1'], { env, fetch: ingest.fetch });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('job job-1 not found');
  });

  it('--watch prints each change and exits 0 on success', async () => {
    const states = ['accepted', 'queued', 'queued', 'processing', 'succeeded'] as const;
    let i = 0;
    const ingest = fakeFetch(() => {
      const state = states[Math.min(i++, states.length - 1)]!;
      return { status: 200, body: jobStatus('job-1', state) };
    });
    const run = await runCapture(['jobs', 'get', 'job-1', '--watch', '--interval', '1ms'], {
      env,
      fetch: ingest.fetch,
    });
    expect(run.code).toBe(0);
    const changes = run.stdout.split('\n').filter((l) => /^\d\d:\d\d:\d\d {2}/.test(l));
    expect(changes.map((l) => l.split(/\s+/)[1])).toEqual([
      'accepted',
      'queued',
      'processing',
      'succeeded',
    ]);
  });

  it('--watch --until delivered waits past the result; undeliverable exits 1', async () => {
    const states = ['succeeded', 'delivering', 'undeliverable'] as const;
    let i = 0;
    const ingest = fakeFetch(() => ({
      status: 200,
      body: jobStatus('job-1', states[Math.min(i++, states.length - 1)]!),
    }));
    const run = await runCapture(
      ['jobs', 'get', 'job-1', '-w', '--until', 'delivered', '--interval', '1ms', '--json'],
      { env, fetch: ingest.fetch },
    );
    expect(run.code).toBe(1);
    expect(run.out.jsonLines.map((s) => (s as { state: string }).state)).toEqual([
      'succeeded',
      'delivering',
      'undeliverable',
    ]);
  });

  it('--watch waits for a job not visible yet, and --timeout ends it with exit 1', async () => {
    let now = 0;
    const ingest = fakeFetch(() => {
      now += 400;
      return { status: 404 };
    });
    const run = await runCapture(
      ['jobs', 'get', 'job-1', '--watch', '--interval', '1ms', '--timeout', '2s'],
      { env, fetch: ingest.fetch, now: () => now },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('not found (yet); waiting');
    expect(run.stderr).toContain('job job-1: not done within --timeout');
    expect(ingest.requests.length).toBeGreaterThanOrEqual(5);
  });
});
