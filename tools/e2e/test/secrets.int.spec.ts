/**
 * Secrets never leave their configuration (issue 11, "Hostile input"): the stack runs with
 * LOG_LEVEL=debug, takes signed traffic (an API job with a stream URL, a GitHub webhook, a
 * callback delivery), and then every captured log line, every span attribute of the jobs'
 * traces in Jaeger, and every record of the run's topics is searched for each configured secret
 * and API key and their obvious encodings. None may appear.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LOCAL_API_KEY,
  LOCAL_DEMO_SECRET,
  LOCAL_SIM_API_KEY,
  LOCAL_WEBHOOK_SECRETS,
  SERVICES,
} from '@claude-pipeline/stack/services';
import {
  startCallbackSink,
  waitFor,
  workspaceRoot,
  type CallbackSink,
} from '@claude-pipeline/testing';
import {
  fetchTrace,
  postGithubWebhook,
  postJob,
  readTopic,
  waitForState,
  type TraceSpan,
} from './support/clients.ts';
import { startE2EStack, type E2EStack } from './support/stack.ts';

jest.setTimeout(240_000);

let stack: E2EStack;
let sink: CallbackSink;

const STREAM_TOKEN_SECRET =
  SERVICES.find((s) => s.name === 'ingest')?.env['INGEST_STREAM_TOKEN_SECRETS'] ?? '';

/** Every configured secret, by name. */
const SECRETS: Record<string, string> = {
  LOCAL_API_KEY,
  LOCAL_DEMO_SECRET,
  'LOCAL_WEBHOOK_SECRETS.github': LOCAL_WEBHOOK_SECRETS.github,
  'LOCAL_WEBHOOK_SECRETS.githubPrevious': LOCAL_WEBHOOK_SECRETS.githubPrevious,
  'LOCAL_WEBHOOK_SECRETS.anthropic': LOCAL_WEBHOOK_SECRETS.anthropic,
  INGEST_STREAM_TOKEN_SECRETS: STREAM_TOKEN_SECRET,
  LOCAL_SIM_API_KEY,
};

/**
 * Each secret and its obvious encodings: as is, base64 and base64url of it, hex, URL-encoded,
 * JSON-escaped; for `whsec_` secrets also the base64 key after the prefix and the decoded key
 * bytes (when they are text).
 */
function needles(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  const add = (name: string, text: string) => {
    if (text.length >= 12) out.push({ name, text });
  };
  for (const [name, secret] of Object.entries(SECRETS)) {
    add(name, secret);
    add(`${name} (base64)`, Buffer.from(secret).toString('base64').replace(/=+$/, ''));
    add(`${name} (base64url)`, Buffer.from(secret).toString('base64url'));
    add(`${name} (hex)`, Buffer.from(secret).toString('hex'));
    add(`${name} (url-encoded)`, encodeURIComponent(secret));
    if (secret.startsWith('whsec_')) {
      const key = secret.slice('whsec_'.length);
      add(`${name} (key base64)`, key.replace(/=+$/, ''));
      const bytes = Buffer.from(key, 'base64');
      add(`${name} (key hex)`, bytes.toString('hex'));
      const text = bytes.toString('utf8');
      if (/^[\x20-\x7e]+$/.test(text)) add(`${name} (key text)`, text);
    }
  }
  return out;
}

/** Where each needle occurs in a haystack, as "<needle> in <where>". */
function leaks(where: string, haystack: string): string[] {
  return needles()
    .filter((n) => haystack.includes(n.text))
    .map((n) => `${n.name} in ${where}`);
}

const traces: string[] = [];
const jobIds: string[] = [];

beforeAll(async () => {
  sink = await startCallbackSink({ secrets: [LOCAL_DEMO_SECRET] });
  const root = workspaceRoot();
  const sample = JSON.parse(
    readFileSync(join(root, 'apps/ingest/config/sources.sample.json'), 'utf8'),
  ) as { sources: Record<string, { routes: Record<string, Record<string, unknown>> }> };
  for (const source of Object.values(sample.sources))
    for (const route of Object.values(source.routes)) route['callback_url'] = `${sink.url}/hooks`;
  const sourcesFile = join(tmpdir(), `e2e-secrets-sources-${process.pid}.json`);
  writeFileSync(sourcesFile, JSON.stringify(sample));
  stack = await startE2EStack({
    env: {
      'anthropic-sim': { SIM_LATENCY_MS: '20' },
      ingest: { INGEST_SOURCES_FILE: sourcesFile },
    },
  });
}, 600_000);

afterAll(async () => {
  await stack?.stop();
  await sink?.close();
});

describe('signed traffic through the whole stack', () => {
  it('is delivered (API job with a stream URL, GitHub webhook, signed callbacks)', async () => {
    const ingest = stack.url('ingest');
    const job = await postJob(ingest, LOCAL_API_KEY, {
      prompt: 'Summarise the incident report.',
      stream: true,
      callback_url: `${sink.url}/api`,
    });
    const streamUrl = (job as { stream_url?: string }).stream_url ?? '';
    expect(streamUrl).toContain('token=');
    // The stream URL is a bearer credential: open it once, so ingest handles the token.
    const stream = await fetch(streamUrl, { signal: AbortSignal.timeout(30_000) });
    expect(stream.status).toBe(200);
    await stream.text();

    const hook = await postGithubWebhook(ingest, LOCAL_WEBHOOK_SECRETS.github, {
      action: 'opened',
      number: 7,
      repository: { full_name: 'acme/payments' },
      pull_request: {
        number: 7,
        title: 'Rotate keys',
        body: 'Moves secrets to the vault.',
        user: { login: 'octocat' },
      },
    });
    // A rejected forgery goes through the logging path of a verification failure too.
    const forged = await fetch(`${ingest}/v1/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-github-delivery': 'forged-1',
        'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
        authorization: `Bearer ${LOCAL_API_KEY}`,
      },
      body: '{}',
    });
    expect(forged.status).toBe(401);
    // A wrong API key (the real one with a character changed) is rejected and logged.
    const wrongKey = await fetch(`${ingest}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${LOCAL_API_KEY}x`, 'content-type': 'application/json' },
      body: '{"prompt":"x"}',
    });
    expect(wrongKey.status).toBe(401);

    for (const accepted of [job, hook]) {
      await waitForState(ingest, LOCAL_API_KEY, accepted.id, ['delivered'], 120_000);
      traces.push(accepted.traceId);
      jobIds.push(accepted.id);
    }
    expect(sink.deliveries.length).toBeGreaterThanOrEqual(2);
  });

  it('the search finds each secret and encoding when it is there (so a pass means something)', () => {
    for (const needle of needles()) {
      expect(leaks('probe', `before ${needle.text} after`)).toContain(`${needle.name} in probe`);
    }
    expect(needles().length).toBeGreaterThanOrEqual(Object.keys(SECRETS).length * 4);
    expect(STREAM_TOKEN_SECRET.length).toBeGreaterThanOrEqual(32);
  });

  it('no log line of any service contains a secret or an encoding of one', () => {
    expect(stack.logs.length).toBeGreaterThan(20);
    // The stack logged the traffic (so the search below looked at something).
    expect(stack.logs.some((l) => jobIds.some((id) => l.raw.includes(id)))).toBe(true);
    const found = stack.logs.flatMap((line, i) => leaks(`${line.service} log line ${i}`, line.raw));
    expect(found).toEqual([]);
  });

  it('no span attribute of the jobs’ traces contains one', async () => {
    const spans: TraceSpan[] = [];
    for (const traceId of traces) {
      spans.push(
        ...(await waitFor(
          async () => {
            const got = await fetchTrace(traceId);
            const services = new Set(got.map((s) => s.service));
            return ['ingest', 'dedupe', 'claude-worker', 'notifier'].every((s) => services.has(s))
              ? got
              : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 1000, description: `trace ${traceId}` },
        )),
      );
    }
    expect(spans.length).toBeGreaterThan(8);
    // The attributes were read (the jobs' ids are among them).
    const attributes = JSON.stringify(spans.map((s) => s.attributes));
    for (const id of jobIds) expect(attributes).toContain(id);
    const found = spans.flatMap((span) =>
      leaks(`${span.service} span "${span.name}"`, JSON.stringify([span.name, span.attributes])),
    );
    expect(found).toEqual([]);
  });

  it('no record of the run’s topics (keys, values, headers) contains one', async () => {
    const { names } = stack.catalog;
    const found: string[] = [];
    for (const topic of [names.events, names.jobs, names.results, names.status]) {
      // Wait until both jobs' records are there (keys are job ids, values name them).
      const records = await readTopic(
        topic,
        (read) =>
          jobIds.every((id) => read.some((r) => r.key.includes(id) || r.value.includes(id))),
        30_000,
      );
      expect(records.length).toBeGreaterThan(0);
      for (const record of records) {
        found.push(
          ...leaks(
            `${topic}@${record.partition}:${record.offset}`,
            JSON.stringify([record.key, record.value, record.headers]),
          ),
        );
      }
    }
    expect(found).toEqual([]);
  });
});
