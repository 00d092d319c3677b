import { randomBytes } from 'node:crypto';
import type { JobState, JobSubmission } from '@claude-pipeline/schemas';
import { createVerifier } from '@claude-pipeline/signing';
import { expectPositionals, intFlag, parseCommandArgs } from '../args.ts';
import { CliError, EXIT, reasonOf } from '../errors.ts';
import {
  apiKeyFrom,
  createIngestClient,
  describeAnswer,
  ingestUrlFrom,
  type IngestClient,
} from '../http/ingest.client.ts';
import { jaegerUrlFrom, newTrace, traceLink } from '../http/trace-context.ts';
import { formatMs, isRecord } from '../output/format.ts';
import { createProgress } from '../output/progress.ts';
import { renderTable, truncate } from '../output/table.ts';
import { durationFlag } from '../time.ts';
import {
  startCallbackReceiver,
  type CallbackReceiver,
  type ReceivedRequest,
} from '../webhooks/callback-receiver.ts';
import { buildWebhookRequest } from '../webhooks/provider-request.ts';
import type { Command, CommandContext } from './command.types.ts';
import { exitCodeForState, watchDone, type Until } from './jobs-get.command.ts';
import {
  API_KEY_HELP,
  API_KEY_OPTION,
  envPart,
  HELP_HELP,
  JSON_HELP,
  JSON_OPTION,
  sleep,
  splitSecrets,
  URL_HELP,
  URL_OPTION,
  webhookSecretsFor,
} from './shared.ts';

const NAME = 'demo';

const options = {
  ...URL_OPTION,
  ...API_KEY_OPTION,
  ...JSON_OPTION,
  timeout: { type: 'string' },
  interval: { type: 'string' },
  'jaeger-url': { type: 'string' },
  'callback-url': { type: 'string' },
  'callback-host': { type: 'string' },
  'callback-port': { type: 'string' },
  'callback-secret': { type: 'string', multiple: true },
  'without-callbacks': { type: 'boolean' },
  'github-source': { type: 'string' },
  'anthropic-source': { type: 'string' },
  'skip-webhooks': { type: 'boolean' },
} as const;

export const demoCommand: Command = {
  help: `usage: pipeline demo [flags]

The first thing to run against a stack started with 'npm start'. It submits three API jobs
(two realtime, one batch, each with a callback to a receiver the demo starts on this machine),
a signed GitHub pull_request webhook and a signed Anthropic webhook, follows every job to its
result (and its callback to delivery), then prints a table of results and a Jaeger trace link
per job. Webhooks whose secret is not known are skipped with a note.

flags:
  --timeout DURATION          give up waiting after this long (default 3m)
  --interval DURATION         status poll period (default 1s)
  --callback-secret SECRET    verifies the callbacks (default $PIPELINE_CALLBACK_SECRET; without
                              one they are received but not verified)
  --callback-host ADDR        where the demo's receiver listens (default 127.0.0.1)
  --callback-port N           its port (default: a free one)
  --callback-url URL          use this callback URL instead of the demo's receiver
  --without-callbacks         submit jobs without callbacks
  --github-source NAME        ingest source name for the GitHub webhook (default github);
                              secret $PIPELINE_WEBHOOK_SECRET_<NAME> or $PIPELINE_WEBHOOK_SECRET
  --anthropic-source NAME     same for the Anthropic webhook (default anthropic)
  --skip-webhooks             API jobs only
  --jaeger-url URL            Jaeger UI for the trace links (default $PIPELINE_JAEGER_URL or
                              http://127.0.0.1:16686)
${URL_HELP}
${API_KEY_HELP}
${JSON_HELP}
${HELP_HELP}

exit status: 0 when every job succeeded (and every callback was delivered), 1 otherwise.

example:
  npm start                      # in another terminal
  export PIPELINE_API_KEY=... PIPELINE_CALLBACK_SECRET=whsec_... PIPELINE_WEBHOOK_SECRET_GITHUB=...
  npx pipeline demo
`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs(argv, options, NAME);
    expectPositionals(positionals, { min: 0, max: 0, command: NAME, what: 'arguments' });
    const json = values.json ?? false;
    const timeoutMs = durationFlag(values.timeout, 'timeout') ?? 180_000;
    const intervalMs = durationFlag(values.interval, 'interval') ?? 1000;
    const jaeger = jaegerUrlFrom(ctx.io.env, values['jaeger-url']);
    const client = createIngestClient({
      baseUrl: ingestUrlFrom(ctx.io.env, values.url),
      apiKey: apiKeyFrom(ctx.io.env, values['api-key']),
      fetch: ctx.fetch,
      signal: ctx.signal,
    });
    const say = (text: string) => {
      if (!json) ctx.out.line(text);
    };

    const ready = await client.ready();
    if (ready.status !== 200) {
      throw new CliError(`ingest at ${client.baseUrl} is not ready: ${describeAnswer(ready)}`, {
        hint: 'wait for the ready banner of npm start',
      });
    }

    const received: ReceivedRequest[] = [];
    let receiver: CallbackReceiver | undefined;
    let callbackUrl: string | undefined = values['callback-url'];
    const callbackSecrets =
      values['callback-secret'] && values['callback-secret'].length > 0
        ? values['callback-secret']
        : splitSecrets(ctx.io.env['PIPELINE_CALLBACK_SECRET']);
    if (!values['without-callbacks'] && callbackUrl === undefined) {
      receiver = await startCallbackReceiver({
        host: values['callback-host'] ?? '127.0.0.1',
        port: intFlag(values['callback-port'], 'callback-port', { min: 0, max: 65_535 }) ?? 0,
        verifier:
          callbackSecrets.length > 0
            ? createVerifier({
                scheme: 'standard-webhooks',
                secrets: callbackSecrets,
                now: ctx.now,
              })
            : undefined,
        now: ctx.now,
        onRequest: (r) => received.push(r),
      });
      callbackUrl = `${receiver.url}/demo`;
      say(
        `callbacks → ${callbackUrl}${callbackSecrets.length > 0 ? ' (signatures verified)' : ' (no --callback-secret: received, NOT verified)'}`,
      );
    }
    if (values['without-callbacks']) callbackUrl = undefined;

    try {
      const runId = randomBytes(3).toString('hex');
      const items = await submitAll(ctx, client, {
        runId,
        callbackUrl,
        skipWebhooks: values['skip-webhooks'] ?? false,
        githubSource: values['github-source'] ?? 'github',
        anthropicSource: values['anthropic-source'] ?? 'anthropic',
        say,
      });
      await followAll(ctx, client, items, { timeoutMs, intervalMs, json, say });

      const ok = items.every(
        (i) =>
          i.skipped !== undefined ||
          i.ignored !== undefined ||
          (i.doneAt !== undefined &&
            i.state !== undefined &&
            exitCodeForState(i.state) === EXIT.ok),
      );
      const verified = received.filter((r) => r.verified).length;
      const rejected = received.filter((r) => r.rejected).length;
      if (json) {
        ctx.out.json({
          ok,
          run: runId,
          callback_url: callbackUrl ?? null,
          items: items.map((i) => ({
            name: i.name,
            kind: i.kind,
            job_id: i.jobId ?? null,
            state: i.state ?? null,
            elapsed_ms: i.doneAt === undefined ? null : i.doneAt - i.sentAt,
            result: i.excerpt ?? null,
            error: i.error ?? null,
            skipped: i.skipped ?? null,
            ignored: i.ignored ?? null,
            trace_id: i.traceId,
            trace_url: traceLink(jaeger, i.traceId),
          })),
          callbacks: { received: received.length, verified, rejected },
        });
      } else {
        ctx.out.line('');
        ctx.out.line(
          renderTable(
            [
              { header: 'ITEM' },
              { header: 'JOB' },
              { header: 'STATE' },
              { header: 'TIME', align: 'right' },
              { header: 'RESULT', max: 70 },
            ],
            items.map((i) => [
              i.name,
              i.jobId ?? '-',
              i.skipped
                ? 'skipped'
                : i.ignored
                  ? 'ignored'
                  : (i.state ?? (i.error ? 'error' : 'pending')),
              i.doneAt === undefined ? '-' : formatMs(i.doneAt - i.sentAt),
              i.skipped ?? i.ignored ?? i.error ?? i.excerpt ?? '',
            ]),
          ),
        );
        ctx.out.line('');
        ctx.out.line('traces:');
        for (const i of items.filter((x) => x.skipped === undefined)) {
          ctx.out.line(`  ${i.name.padEnd(24)} ${traceLink(jaeger, i.traceId)}`);
        }
        if (receiver) {
          ctx.out.line('');
          ctx.out.line(
            `callbacks received: ${received.length} (${verified} verified${rejected > 0 ? `, ${rejected} rejected` : ''})`,
          );
        }
        const jobIds = items.filter((i) => i.jobId).map((i) => i.jobId);
        if (jobIds.length > 0) ctx.out.line(`\nmore: pipeline jobs get ${jobIds[0]}`);
      }
      return ctx.signal.aborted ? EXIT.interrupted : ok ? EXIT.ok : EXIT.failure;
    } finally {
      await receiver?.close();
    }
  },
};

interface DemoItem {
  name: string;
  kind: 'job' | 'webhook';
  until: Until;
  traceId: string;
  sentAt: number;
  jobId?: string;
  state?: JobState;
  doneAt?: number;
  excerpt?: string;
  error?: string;
  skipped?: string;
  ignored?: string;
}

const INCIDENT = `At 09:12 UTC the checkout service began returning 502s for 18% of requests.
The on-call engineer traced it to connection-pool exhaustion in the payments gateway client
after a deploy that lowered the pool size from 50 to 5. The deploy was rolled back at 09:41 and
error rates returned to baseline by 09:44. About 3,100 checkouts failed; 2,400 customers retried
successfully. Follow-ups: add a pool-saturation alert, validate pool settings in CI.`;

const TICKET = `Subject: Charged twice for order #88213
Hi, I placed one order yesterday but my card statement shows two charges of EUR 49.99 a few
seconds apart. I only got one confirmation email. Can you refund the duplicate? - Maria`;

const RELEASE_NOTES = `Release 4.2: faster search (p95 down from 800 ms to 240 ms), dark mode for the
dashboard, CSV export of invoices, and a fix for time zones in scheduled reports.`;

function demoJobs(runId: string, callbackUrl: string | undefined) {
  const callback = callbackUrl === undefined ? {} : { callback_url: callbackUrl };
  const metadata = { demo: runId };
  const jobs: { name: string; body: JobSubmission }[] = [
    {
      name: 'incident summary',
      body: {
        system: 'You are an SRE writing for a status page. Be factual and brief.',
        prompt: `Summarise this incident in three bullet points:\n\n${INCIDENT}`,
        max_tokens: 400,
        metadata: { ...metadata, item: 'incident-summary' },
        ...callback,
      },
    },
    {
      name: 'ticket triage',
      body: {
        prompt: `Classify this support ticket as billing, bug, or question, give a priority from P1 to P4, and draft a two-sentence reply:\n\n${TICKET}`,
        max_tokens: 300,
        metadata: { ...metadata, item: 'ticket-triage' },
        ...callback,
      },
    },
    {
      name: 'release notes (batch)',
      body: {
        prompt: `Translate these release notes into French:\n\n${RELEASE_NOTES}`,
        max_tokens: 400,
        mode: 'batch',
        metadata: { ...metadata, item: 'release-notes-fr' },
        ...callback,
      },
    },
  ];
  return jobs;
}

async function submitAll(
  ctx: CommandContext,
  client: IngestClient,
  opts: {
    runId: string;
    callbackUrl: string | undefined;
    skipWebhooks: boolean;
    githubSource: string;
    anthropicSource: string;
    say: (text: string) => void;
  },
): Promise<DemoItem[]> {
  const items: DemoItem[] = [];
  for (const [index, job] of demoJobs(opts.runId, opts.callbackUrl).entries()) {
    const trace = newTrace();
    const item: DemoItem = {
      name: job.name,
      kind: 'job',
      until: opts.callbackUrl ? 'delivered' : 'result',
      traceId: trace.traceId,
      sentAt: ctx.now(),
    };
    items.push(item);
    try {
      const { response } = await client.submitJob(job.body, {
        idempotencyKey: `demo-${opts.runId}-${index}`,
        traceparent: trace.traceparent,
        correlationId: `demo-${opts.runId}-${index}`,
      });
      item.jobId = response.id;
      opts.say(`→ ${job.name.padEnd(24)} ${job.body.mode ?? 'realtime'} job ${response.id}`);
    } catch (error) {
      item.error = reasonOf(error);
      opts.say(`✗ ${job.name.padEnd(24)} ${item.error}`);
    }
  }
  if (opts.skipWebhooks) return items;

  const hooks = [
    {
      name: 'github pull_request',
      source: opts.githubSource,
      scheme: 'github',
      event: 'pull_request',
    },
    {
      name: 'anthropic event',
      source: opts.anthropicSource,
      scheme: 'anthropic',
      // The event the sample sources file routes (an incident note, batch mode).
      event: 'deployment_run.failed',
    },
  ] as const;
  for (const hook of hooks) {
    const trace = newTrace();
    const item: DemoItem = {
      name: hook.name,
      kind: 'webhook',
      until: 'result',
      traceId: trace.traceId,
      sentAt: ctx.now(),
    };
    items.push(item);
    const secrets = webhookSecretsFor(ctx.io.env, hook.source, undefined);
    if (secrets.length === 0) {
      item.skipped = `no secret: set PIPELINE_WEBHOOK_SECRET_${envPart(hook.source)}`;
      opts.say(`- ${hook.name.padEnd(24)} skipped (${item.skipped})`);
      continue;
    }
    try {
      const request = buildWebhookRequest({
        scheme: hook.scheme,
        event: hook.event,
        secrets,
        now: ctx.now,
      });
      request.headers['traceparent'] = trace.traceparent;
      request.headers['correlation-id'] = `demo-${opts.runId}-${hook.source}`;
      const answer = await client.postWebhook(hook.source, request.body, request.headers);
      const body = isRecord(answer.body) ? answer.body : {};
      if (answer.status === 202 && typeof body['id'] === 'string') {
        item.jobId = body['id'];
        opts.say(`→ ${hook.name.padEnd(24)} webhook → job ${item.jobId}`);
      } else if (answer.status === 200 && body['status'] === 'ignored') {
        item.ignored = `ignored: ${String(body['reason'] ?? 'no route')}`;
        opts.say(`- ${hook.name.padEnd(24)} ${item.ignored}`);
      } else {
        item.error = describeAnswer(answer);
        opts.say(`✗ ${hook.name.padEnd(24)} ${item.error}`);
      }
    } catch (error) {
      item.error = reasonOf(error);
      opts.say(`✗ ${hook.name.padEnd(24)} ${item.error}`);
    }
  }
  return items;
}

async function followAll(
  ctx: CommandContext,
  client: IngestClient,
  items: DemoItem[],
  opts: { timeoutMs: number; intervalMs: number; json: boolean; say: (text: string) => void },
): Promise<void> {
  const tracked = items.filter((i) => i.jobId !== undefined);
  if (tracked.length === 0) return;
  const deadline = ctx.now() + opts.timeoutMs;
  const progress = createProgress({
    stream: ctx.io.stderr,
    label: 'waiting for results',
    total: tracked.length,
    enabled: !opts.json,
    now: ctx.now,
  });
  try {
    for (;;) {
      const pending = tracked.filter((i) => i.doneAt === undefined);
      if (pending.length === 0 || ctx.signal.aborted) return;
      await Promise.all(
        pending.map(async (item) => {
          const status = await client.getJob(item.jobId ?? '').catch(() => undefined);
          if (!status) return;
          item.state = status.state;
          const r = status.result;
          if (r?.status === 'succeeded') {
            item.excerpt = truncate(
              r.content.map((b) => (b.type === 'text' ? b.text : `[tool_use ${b.name}]`)).join(' '),
              200,
            );
          } else if (r?.status === 'failed') {
            item.excerpt = `${r.error.class}: ${r.error.message}`;
          }
          if (watchDone(status.state, item.until)) {
            item.doneAt = ctx.now();
            progress.stop();
            opts.say(
              `${exitCodeForState(status.state) === EXIT.ok ? '✓' : '✗'} ${item.name.padEnd(24)} ${status.state} after ${formatMs(item.doneAt - item.sentAt)}`,
            );
          }
        }),
      );
      progress.update(tracked.filter((i) => i.doneAt !== undefined).length);
      if (ctx.now() >= deadline) {
        progress.stop();
        for (const item of tracked.filter((i) => i.doneAt === undefined)) {
          item.error = `not done after ${formatMs(opts.timeoutMs)} (last state ${item.state ?? 'unknown'})`;
        }
        return;
      }
      await sleep(Math.min(opts.intervalMs, Math.max(0, deadline - ctx.now())), ctx.signal);
    }
  } finally {
    progress.stop();
  }
}
