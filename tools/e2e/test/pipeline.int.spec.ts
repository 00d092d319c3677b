/**
 * The whole pipeline end to end, as its users meet it: ingest, dedupe, claude-worker,
 * batch-poller and notifier run as processes (as `npm start` runs them) against the real local
 * Kafka, Jaeger and anthropic-sim; the tests talk HTTP to ingest, receive signed callbacks, ask
 * Jaeger for traces, read the public topics with a plain kafkajs consumer, and redrive the DLQ
 * with the `pipeline` CLI.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020.js';
import {
  startCallbackSink,
  waitFor,
  workspaceRoot,
  type CallbackSink,
} from '@claude-pipeline/testing';
import {
  LOCAL_API_KEY,
  LOCAL_DEMO_SECRET,
  LOCAL_WEBHOOK_SECRETS,
} from '@claude-pipeline/stack/services';
import {
  ancestry,
  fetchTrace,
  postGithubWebhook,
  postJob,
  readTopic,
  waitForState,
  type TraceSpan,
} from './support/clients.ts';
import { startE2EStack, type E2EStack } from './support/stack.ts';

jest.setTimeout(240_000);

const root = workspaceRoot();
let stack: E2EStack;
let sink: CallbackSink;
let ingest: string;
let sim: string;

/** A GitHub `pull_request` delivery, as GitHub sends it (only the fields the route reads). */
function pullRequest(number: number, title: string) {
  return {
    action: 'opened',
    number,
    repository: { full_name: 'acme/payments' },
    pull_request: {
      number,
      title,
      body: 'Moves refunds to the new ledger API.',
      user: { login: 'octocat' },
      base: { ref: 'main' },
      head: { ref: 'refunds-ledger', sha: 'f00dfeed' },
      draft: false,
      commits: 3,
      changed_files: 7,
      additions: 120,
      deletions: 40,
      labels: [],
      html_url: `https://github.com/acme/payments/pull/${number}`,
    },
  };
}

beforeAll(async () => {
  sink = await startCallbackSink({ secrets: [LOCAL_DEMO_SECRET] });
  // The sample sources file, with the callbacks pointed at this test's receiver.
  const sample = JSON.parse(
    readFileSync(join(root, 'apps/ingest/config/sources.sample.json'), 'utf8'),
  ) as { sources: Record<string, { routes: Record<string, Record<string, unknown>> }> };
  for (const source of Object.values(sample.sources))
    for (const route of Object.values(source.routes)) route['callback_url'] = `${sink.url}/hooks`;
  const sourcesFile = join(tmpdir(), `e2e-sources-${process.pid}.json`);
  writeFileSync(sourcesFile, JSON.stringify(sample));

  stack = await startE2EStack({
    env: {
      'anthropic-sim': { SIM_BATCH_PROCESSING_MS: '1500', SIM_LATENCY_MS: '50' },
      ingest: { INGEST_SOURCES_FILE: sourcesFile },
      'claude-worker': { WORKER_RETRY_DELAYS_MS: '300,600,900' },
      'batch-poller': { BATCH_POLLER_MAX_AGE: '1s', BATCH_POLLER_POLL_INTERVAL: '500ms' },
      notifier: { NOTIFIER_RETRY_DELAYS_MS: '300,600,900,1200,1500,1800,2100' },
    },
  });
  ingest = stack.url('ingest');
  sim = stack.url('anthropic-sim');
}, 600_000);

afterAll(async () => {
  await stack?.stop();
  // Every service's log lines, for the CI artifacts and for whoever debugs a failure.
  if (stack) {
    mkdirSync(join(__dirname, '..', '.test-results'), { recursive: true });
    writeFileSync(
      join(__dirname, '..', '.test-results', 'e2e-services.log'),
      stack.logs.map((l) => `[${l.service}] ${l.raw}`).join('\n'),
    );
  }
  await sink?.close();
});

/** Waits until Jaeger has spans of every named service in the trace. */
async function traceWith(traceId: string, services: readonly string[]): Promise<TraceSpan[]> {
  return waitFor(
    async () => {
      const spans = await fetchTrace(traceId);
      const seen = new Set(spans.map((s) => s.service));
      return services.every((s) => seen.has(s)) ? spans : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 1000, description: `trace ${traceId} with ${services}` },
  );
}

/** Services along a span's parent chain, nearest first, consecutive repeats collapsed. */
function servicePath(spans: readonly TraceSpan[], span: TraceSpan): string[] {
  const path: string[] = [];
  for (const s of ancestry(spans, span)) if (path.at(-1) !== s.service) path.push(s.service);
  return path;
}

/** The job id of a callback payload (`{type, data: {job_id, ...}}`). */
function jobIdOf(payload: unknown): string | undefined {
  return (payload as { data?: { job_id?: string } }).data?.job_id;
}

function logsFor(correlationId: string) {
  return stack.logs.filter(
    (l) => l.json && (l.json['correlation_id'] === correlationId || l.raw.includes(correlationId)),
  );
}

describe('a GitHub pull_request webhook, end to end (realtime)', () => {
  let accepted: Awaited<ReturnType<typeof postGithubWebhook>>;

  it('becomes a job, a Claude call, a result, a verified signed callback, and `delivered`', async () => {
    accepted = await postGithubWebhook(
      ingest,
      LOCAL_WEBHOOK_SECRETS.github,
      pullRequest(101, 'Refunds on the ledger API'),
    );
    const status = await waitForState(ingest, LOCAL_API_KEY, accepted.id, ['delivered'], 120_000);
    expect(status.generation).toBe(1);

    const delivered = sink.deliveries.filter((d) => jobIdOf(d.json) === accepted.id);
    expect(delivered.length).toBeGreaterThanOrEqual(1);
    const payload = delivered[0]?.json as {
      type: string;
      data: { result: { status: string; content: { type: string; text?: string }[] } };
    };
    expect(payload.type).toBe('job.succeeded');
    expect(payload.data.result.status).toBe('succeeded');
    expect(
      payload.data.result.content.some((b) => b.type === 'text' && (b.text ?? '').length > 0),
    ).toBe(true);
    expect(delivered[0]?.headers['correlation-id']).toBe(accepted.correlationId);
  });

  it('is ONE trace in Jaeger whose parent links follow the data path', async () => {
    const services = ['ingest', 'dedupe', 'claude-worker', 'anthropic-sim', 'notifier'];
    const spans = await traceWith(accepted.traceId, services);
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([accepted.traceId]));

    // The sim's server span descends from the worker, which descends from dedupe, then ingest.
    const simSpan = spans.find((s) => s.service === 'anthropic-sim' && s.kind === 2);
    expect(simSpan).toBeDefined();
    if (!simSpan) return;
    expect(servicePath(spans, simSpan)).toEqual([
      'anthropic-sim',
      'claude-worker',
      'dedupe',
      'ingest',
    ]);
    // The notifier's delivery descends from the worker's result.
    const notifierSpans = spans.filter((s) => s.service === 'notifier');
    const deepest = notifierSpans
      .map((s) => servicePath(spans, s))
      .sort((a, b) => b.length - a.length)[0];
    expect(deepest).toEqual(['notifier', 'claude-worker', 'dedupe', 'ingest']);
  });

  it("has the correlation id and the trace id in every service's log lines for the job", async () => {
    await waitFor(
      () => {
        const lines = logsFor(accepted.correlationId);
        const services = new Set(
          lines.filter((l) => l.json?.['trace_id'] === accepted.traceId).map((l) => l.service),
        );
        return ['ingest', 'dedupe', 'claude-worker', 'notifier'].every((s) => services.has(s));
      },
      { timeoutMs: 20_000, description: 'log lines with correlation and trace ids' },
    );
  });
});

describe('an API job in batch mode, end to end', () => {
  it('goes through batch-poller and the Message Batches API to a delivered callback', async () => {
    const accepted = await postJob(ingest, LOCAL_API_KEY, {
      prompt: 'Classify this support ticket: "my card was charged twice"',
      mode: 'batch',
      callback_url: `${sink.url}/batch`,
    });
    await waitForState(ingest, LOCAL_API_KEY, accepted.id, ['delivered'], 120_000);
    const delivery = sink.deliveries.find((d) => jobIdOf(d.json) === accepted.id);
    expect(delivery?.json).toMatchObject({
      data: { result: { status: 'succeeded', tier: 'batch' } },
    });
    const spans = await traceWith(accepted.traceId, [
      'ingest',
      'dedupe',
      'batch-poller',
      'notifier',
    ]);
    const resultSpan = spans.find((s) => s.service === 'notifier');
    expect(resultSpan && servicePath(spans, resultSpan)).toContain('batch-poller');
  });
});

describe('failures: the retry chain, the DLQ and a redrive', () => {
  it('a job the API fails with 500 twice walks the retry stages and is delivered', async () => {
    const marker = `flaky-${Date.now()}`;
    await fetch(`${sim}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        match: { contains: marker, endpoint: 'messages' },
        action: { type: 'error', status: 500 },
        times: 2,
      }),
    });
    const accepted = await postJob(ingest, LOCAL_API_KEY, {
      prompt: `Summarise: ${marker}`,
      callback_url: `${sink.url}/flaky`,
    });
    await waitForState(ingest, LOCAL_API_KEY, accepted.id, ['delivered'], 120_000);
    const delivery = sink.deliveries.find((d) => jobIdOf(d.json) === accepted.id);
    expect(delivery?.json).toMatchObject({
      data: { result: { status: 'succeeded', attempts: 3 } },
    });
  });

  it('one that always fails ends in the DLQ, says why, and a redrive brings it back', async () => {
    const marker = `broken-${Date.now()}`;
    const added = (await (
      await fetch(`${sim}/_sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          match: { contains: marker, endpoint: 'messages' },
          action: { type: 'error', status: 500 },
        }),
      })
    ).json()) as { id?: string; rules?: { id: string }[] };
    const accepted = await postJob(ingest, LOCAL_API_KEY, {
      prompt: `Summarise: ${marker}`,
      callback_url: `${sink.url}/broken`,
    });
    const failed = await waitForState(
      ingest,
      LOCAL_API_KEY,
      accepted.id,
      ['failed', 'delivered', 'undeliverable'],
      120_000,
    );
    expect(JSON.stringify(failed)).toMatch(/transient|500|api_error/i);
    const dlq = `${stack.prefix}.claude-worker.dlq`;
    await readTopic(dlq, (records) => records.some((r) => r.key === accepted.id));

    // The API is healthy again: redrive with the CLI, as an operator would.
    const ruleId = added.id ?? added.rules?.[0]?.id;
    await fetch(ruleId ? `${sim}/_sim/faults/${ruleId}` : `${sim}/_sim/faults`, {
      method: 'DELETE',
    });
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        join(root, 'apps/cli/bin/pipeline.js'),
        'dlq',
        'redrive',
        '--service',
        'claude-worker',
        '--json',
      ],
      { env: { ...process.env, ...stack.env }, cwd: root },
    );
    // This stack's claude-worker DLQ holds only this job's dead letter.
    expect(JSON.parse(stdout)).toMatchObject({ dry_run: false, matched: 1, redriven: 1 });

    const redriven = await waitForState(
      ingest,
      LOCAL_API_KEY,
      accepted.id,
      ['delivered'],
      120_000,
      2,
    );
    expect(redriven.generation).toBe(2);
    const results = await readTopic(
      `${stack.prefix}.results`,
      (records) => records.filter((r) => r.key === accepted.id).length >= 2,
    );
    const mine = results
      .filter((r) => r.key === accepted.id)
      .map(
        (r) =>
          JSON.parse(r.value) as { status: string; generation: number; correlation_id: string },
      );
    expect(mine.map((r) => [r.generation, r.status])).toEqual(
      expect.arrayContaining([
        [1, 'failed'],
        [2, 'succeeded'],
      ]),
    );
    expect(new Set(mine.map((r) => r.correlation_id))).toEqual(new Set([accepted.correlationId]));
  });
});

describe('another team reads pipeline.results knowing only the published contract', () => {
  it('every record validates against the published JSON Schema and carries CloudEvents headers', async () => {
    const schema = JSON.parse(
      readFileSync(join(root, 'docs/generated/schemas/result-record.v1.json'), 'utf8'),
    ) as Record<string, unknown>;
    const asyncapi = JSON.parse(
      readFileSync(join(root, 'docs/generated/asyncapi.json'), 'utf8'),
    ) as { channels: Record<string, { address: string }> };
    const address = Object.values(asyncapi.channels).find((c) =>
      c.address.endsWith('.results'),
    )?.address;
    expect(address).toBe('pipeline.results');
    const topic = `${stack.prefix}.results`;
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(schema);
    const records = await readTopic(topic, (r) => r.length >= 4);
    for (const record of records) {
      const value = JSON.parse(record.value) as unknown;
      expect(validate(value) ? [] : validate.errors).toEqual([]);
      expect(record.headers).toMatchObject({ ce_specversion: '1.0' });
      expect(record.headers['ce_id']).toEqual(expect.any(String));
      expect(record.headers['ce_source']).toEqual(expect.any(String));
      expect(record.headers['ce_type']).toEqual(expect.any(String));
    }
  });
});
