import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateStandardWebhookSecret } from '@claude-pipeline/signing';
import { runCapture } from './support/capture-io.ts';
import { startFakeIngest, type FakeIngest } from './support/fake-ingest.ts';

/**
 * `send webhook`, `send job`, `jobs get` and `demo` against a fake ingest over real HTTP: the
 * fake verifies each signature with libs/signing, so a pass means the provider's own check
 * would pass too.
 */
const API_KEY = 'cli-test-key-0123456789abcdef';
const GITHUB_SECRET = 'gh-secret-for-tests';
const STRIPE_SECRET = 'whsec_stripe_test_secret';
const ANTHROPIC_SECRET = generateStandardWebhookSecret();
const BILLING_SECRET = generateStandardWebhookSecret();
const CALLBACK_SECRET = generateStandardWebhookSecret();

describe('HTTP commands against a fake ingest', () => {
  let ingest: FakeIngest;
  let env: Record<string, string>;

  beforeEach(async () => {
    ingest = await startFakeIngest({
      apiKey: API_KEY,
      callbackSecret: CALLBACK_SECRET,
      sources: {
        github: { scheme: 'github', secrets: [GITHUB_SECRET] },
        stripe: { scheme: 'stripe', secrets: [STRIPE_SECRET] },
        anthropic: { scheme: 'standard-webhooks', secrets: [ANTHROPIC_SECRET] },
        billing: { scheme: 'standard-webhooks', secrets: [BILLING_SECRET] },
      },
    });
    env = {
      PIPELINE_URL: ingest.url,
      PIPELINE_API_KEY: API_KEY,
      PIPELINE_WEBHOOK_SECRET_GITHUB: GITHUB_SECRET,
      PIPELINE_WEBHOOK_SECRET_STRIPE: STRIPE_SECRET,
      PIPELINE_WEBHOOK_SECRET_ANTHROPIC: ANTHROPIC_SECRET,
      PIPELINE_WEBHOOK_SECRET: BILLING_SECRET,
    };
  });

  afterEach(async () => {
    await ingest.close();
  });

  it.each([
    ['github', ['--event', 'pull_request']],
    ['stripe', []],
    ['anthropic', ['--event', 'session.idled']],
    ['billing', ['--event', 'invoice.paid']],
  ])(
    'send webhook --source %s is signed as the provider would and accepted',
    async (source, flags) => {
      const run = await runCapture(['send', 'webhook', '--source', source, ...flags], { env });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(ingest.requests).toHaveLength(1);
      expect(ingest.requests[0]?.path).toBe(`/v1/webhooks/${source}`);
      expect(run.stdout).toMatch(/← 202 accepted {2}job wh-job-1/);
    },
  );

  it('send webhook --file sends the file byte for byte', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pipeline-cli-'));
    // Odd spacing and key order: a re-serialised body would not match the signature.
    const payload = '{ "zeta": 1,\n  "action":"opened",  "number": 7 }\n';
    await writeFile(join(dir, 'payload.json'), payload);
    const run = await runCapture(
      [
        'send',
        'webhook',
        '--source',
        'github',
        '--event',
        'pull_request',
        '--file',
        'payload.json',
      ],
      { env, cwd: dir },
    );
    expect(run.code).toBe(0);
    expect(ingest.requests[0]?.body.toString()).toBe(payload);
    expect(ingest.requests[0]?.headers['x-github-event']).toBe('pull_request');
    expect(ingest.requests[0]?.headers['x-github-delivery']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a wrong secret or no signature is refused by the receiver: exit 1', async () => {
    const wrong = await runCapture(
      ['send', 'webhook', '--source', 'github', '--secret', 'not-the-secret'],
      { env },
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('401 Unauthorized (bad_signature)');
    const unsigned = await runCapture(
      ['send', 'webhook', '--source', 'billing', '--event', 'x', '--unsigned'],
      { env },
    );
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toContain('(missing_header)');
  });

  it('send job, then jobs get --watch follows it to its result', async () => {
    const sent = await runCapture(['send', 'job', '--prompt', 'Summarise RFC 9457', '--json'], {
      env,
    });
    expect(sent.code).toBe(0);
    const { id } = JSON.parse(sent.stdout) as { id: string };
    expect(ingest.jobs.get(id)?.body).toEqual({ prompt: 'Summarise RFC 9457' });

    const watched = await runCapture(['jobs', 'get', id, '--watch', '--interval', '10ms'], { env });
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/accepted[\s\S]*processing[\s\S]*succeeded/);
    expect(watched.stdout).toContain(`job          ${id}`);
  });

  it('send job --watch with a callback waits for the delivery', async () => {
    const run = await runCapture(
      [
        'send',
        'job',
        '-p',
        'Classify this ticket',
        '--callback',
        `${ingest.url}/sink`,
        '--watch',
        '--interval',
        '10ms',
      ],
      { env },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/delivered/);
  });

  it('a bad API key is a 401 with a hint, exit 1', async () => {
    const run = await runCapture(['jobs', 'get', 'api-job-1'], {
      env: { ...env, PIPELINE_API_KEY: 'wrong-key-0123456789' },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('401 Unauthorized (invalid_api_key)');
    expect(run.stderr).toContain('hint: check the API key');
  });

  it('demo: jobs and webhooks through the stack, callbacks verified, results and trace links', async () => {
    const run = await runCapture(['demo', '--interval', '10ms', '--timeout', '20s', '--json'], {
      env: { ...env, PIPELINE_CALLBACK_SECRET: CALLBACK_SECRET },
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as {
      ok: boolean;
      items: { name: string; kind: string; state: string; trace_url: string; job_id: string }[];
      callbacks: { received: number; verified: number; rejected: number };
    };
    expect(out.ok).toBe(true);
    expect(out.items.map((i) => [i.kind, i.state])).toEqual([
      ['job', 'delivered'],
      ['job', 'delivered'],
      ['job', 'delivered'],
      ['webhook', 'succeeded'],
      ['webhook', 'succeeded'],
    ]);
    expect(out.callbacks).toEqual({ received: 3, verified: 3, rejected: 0 });
    for (const item of out.items) {
      expect(item.trace_url).toMatch(/^http:\/\/127\.0\.0\.1:16686\/trace\/[0-9a-f]{32}$/);
    }
    // Each submission carried its trace: the link points at the trace ingest continues.
    const jobPosts = ingest.requests.filter((r) => r.method === 'POST');
    expect(jobPosts.map((r) => String(r.headers['traceparent']).split('-')[1])).toEqual(
      out.items.map((i) => i.trace_url.split('/').pop()),
    );
    // The batch job went as mode batch, every API job with the demo's callback URL.
    const bodies = [...ingest.jobs.values()].filter((j) => j.kind === 'api').map((j) => j.body);
    expect(bodies.map((b) => b['mode'] ?? 'realtime')).toEqual(['realtime', 'realtime', 'batch']);
    expect(bodies.every((b) => String(b['callback_url']).startsWith('http://127.0.0.1:'))).toBe(
      true,
    );
  });

  it('demo: the human output has a result table and a trace link per item', async () => {
    const run = await runCapture(
      ['demo', '--interval', '10ms', '--skip-webhooks', '--without-callbacks'],
      { env },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/ITEM\s+JOB\s+STATE\s+TIME\s+RESULT/);
    expect(run.stdout).toMatch(/incident summary\s+api-job-\d+\s+succeeded/);
    expect(run.stdout).toMatch(
      /traces:\n {2}incident summary\s+http:\/\/127\.0\.0\.1:16686\/trace\//,
    );
  });

  it('demo skips a webhook whose secret it does not know, and fails fast without a stack', async () => {
    const { PIPELINE_WEBHOOK_SECRET_ANTHROPIC: _a, PIPELINE_WEBHOOK_SECRET: _b, ...rest } = env;
    const run = await runCapture(['demo', '--interval', '10ms', '--without-callbacks', '--json'], {
      env: rest,
    });
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { items: { name: string; skipped: string | null }[] };
    expect(out.items.find((i) => i.name === 'anthropic event')?.skipped).toContain(
      'PIPELINE_WEBHOOK_SECRET_ANTHROPIC',
    );

    await ingest.close();
    const down = await runCapture(['demo'], { env });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`cannot reach ingest at ${ingest.url}`);
    ingest = await startFakeIngest({
      apiKey: API_KEY,
      callbackSecret: CALLBACK_SECRET,
      sources: {},
    });
  });
});
