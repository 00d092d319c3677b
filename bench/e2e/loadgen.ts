/**
 * bench/e2e/loadgen: the open-loop load generator of the end-to-end benchmark, a process of its
 * own (forked by run.ts) so it shares no event loop with the receiver or the orchestrator.
 *
 * Request i of a step is scheduled at t0 + i / rate whatever happened to earlier ones (no
 * closed loop that slows down with the system). Its 202 latency is measured from that scheduled
 * time to the end of the response (queueing in the generator counts: no coordinated omission)
 * into an HDR histogram (µs, 3 significant digits), and the scheduled time, as epoch ms, is the
 * job's "sent" time for the end-to-end latency. A mix of two kinds of traffic, alternating by
 * the configured share:
 * - GitHub `pull_request` webhooks to `/v1/webhooks/github` (the local sample source), signed
 *   with `@claude-pipeline/signing`'s GitHub signer; the route carries the callback URL;
 * - API jobs `POST /v1/jobs` with the tenant's bearer key, an `idempotency-key` and a
 *   `callback_url`.
 * Connections: one undici Pool, keep-alive, no pipelining.
 *
 * IPC: `{ type: 'run', ...RunRequest }` → `{ type: 'result', ...RunResult }`; `{ type: 'exit' }`.
 */
import { Pool } from 'undici';
import { createSigner } from '@claude-pipeline/signing';
import { latencyHistogram as histogram, summary, type Latency } from '../latency.ts';

export interface Step {
  rate: number;
  durationS: number;
}

export interface RunRequest {
  origin: string;
  apiKey: string;
  githubSecret: string;
  callbackUrl: string;
  steps: Step[];
  /** Fraction of requests that are GitHub webhooks (the rest are API jobs). */
  webhookShare: number;
  connections: number;
  /** Unique per run: idempotency keys / delivery ids are `<idPrefix>-<n>`. */
  idPrefix: string;
  timeoutMs: number;
  /** Requests outstanding beyond which a scheduled one is not sent (an error). */
  maxOutstanding: number;
}

export interface StepResult extends Step {
  offered: number;
  sent: number;
  accepted: number;
  errors: number;
  errorKinds: Record<string, number>;
  /** 202 latency, ms, from the scheduled send time. */
  ackMs: Latency;
  /** How late the generator itself sent, ms. */
  sendLagP99Ms: number;
  sendLagMaxMs: number;
  /** Epoch ms of the step's first scheduled send and of its end. */
  start: number;
  end: number;
}

export interface RunResult {
  steps: StepResult[];
  /** Accepted jobs (parallel arrays): job id, scheduled send time (epoch ms), step index, kind. */
  ids: string[];
  sentAt: number[];
  step: number[];
  webhook: boolean[];
}

function pullRequestBody(n: number): string {
  const repo = 'acme/payments-service';
  return JSON.stringify({
    action: 'opened',
    number: n,
    pull_request: {
      number: n,
      html_url: `https://github.com/${repo}/pull/${n}`,
      title: `Retry settlement webhooks with backoff (#${n})`,
      user: { login: 'octo-dev' },
      body: 'Adds exponential backoff to settlement webhook retries and a test for the 5xx path.',
      base: { ref: 'main' },
      head: { ref: `feature/retry-${n}`, sha: `${n}`.padStart(40, 'a') },
      draft: false,
      commits: 3,
      changed_files: 4,
      additions: 120,
      deletions: 12,
      labels: [{ name: 'backend' }],
    },
    repository: { full_name: repo },
    sender: { login: 'octo-dev' },
  });
}

async function run(req: RunRequest): Promise<RunResult> {
  const signer = createSigner({ scheme: 'github', secrets: [req.githubSecret] });
  const webhooks = Array.from({ length: 32 }, (_, i) => {
    const body = pullRequestBody(1000 + i);
    return { body, headers: signer.sign(body) };
  });
  const jobs = Array.from({ length: 32 }, (_, i) =>
    JSON.stringify({
      prompt: `Classify this support ticket #${i} as billing, bug or question: "My invoice shows a duplicate charge for November."`,
      task_class: 'classify',
      max_tokens: 64,
      mode: 'realtime',
      callback_url: `${req.callbackUrl}/api`,
    }),
  );
  const client = new Pool(req.origin, {
    connections: req.connections,
    pipelining: 1,
    keepAliveTimeout: 120_000,
    headersTimeout: req.timeoutMs,
    bodyTimeout: req.timeoutMs,
  });
  await Promise.all(
    Array.from({ length: Math.min(req.connections, 32) }, () =>
      client.request({ path: '/healthz', method: 'GET' }).then(
        (r) => r.body.dump(),
        () => undefined,
      ),
    ),
  );

  const result: RunResult = { steps: [], ids: [], sentAt: [], step: [], webhook: [] };
  const makers: (() => StepResult)[] = [];
  const epoch = (t: number) => performance.timeOrigin + t;
  let n = 0;
  let outstanding = 0;
  const everyN = req.webhookShare > 0 ? 1 / req.webhookShare : Infinity;
  const isWebhook = (i: number) => Math.floor((i + 1) / everyN) > Math.floor(i / everyN);

  for (const [stepIndex, step] of req.steps.entries()) {
    const ack = histogram();
    const lag = histogram();
    const errorKinds: Record<string, number> = {};
    let sent = 0;
    let accepted = 0;
    let errors = 0;
    let settled = 0;
    const fail = (kind: string) => {
      errors += 1;
      errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
    };
    const total = Math.round(step.rate * step.durationS);
    const interval = 1000 / step.rate;
    const fire = (scheduled: number) => {
      const i = n;
      n += 1;
      if (outstanding >= req.maxOutstanding) {
        fail('not sent: generator backlog full');
        return;
      }
      const key = `${req.idPrefix}-${i}`;
      const webhook = isWebhook(i);
      const payload = webhook ? webhooks[i % webhooks.length] : undefined;
      const jobBody = jobs[i % jobs.length] ?? '';
      sent += 1;
      outstanding += 1;
      lag.recordValue(Math.max(1, Math.round((performance.now() - scheduled) * 1000)));
      client
        .request(
          payload
            ? {
                path: '/v1/webhooks/github',
                method: 'POST',
                headers: {
                  'content-type': 'application/json',
                  'user-agent': 'GitHub-Hookshot/bench',
                  'x-github-event': 'pull_request',
                  'x-github-delivery': key,
                  ...payload.headers,
                },
                body: payload.body,
              }
            : {
                path: '/v1/jobs',
                method: 'POST',
                headers: {
                  'content-type': 'application/json',
                  authorization: `Bearer ${req.apiKey}`,
                  'idempotency-key': key,
                },
                body: jobBody,
              },
        )
        .then(
          async (res) => {
            const text = await res.body.text();
            const done = performance.now();
            if (res.statusCode !== 202) {
              fail(`HTTP ${res.statusCode}`);
              return;
            }
            accepted += 1;
            ack.recordValue(Math.max(1, Math.round((done - scheduled) * 1000)));
            const { id } = JSON.parse(text) as { id: string };
            result.ids.push(id);
            result.sentAt.push(epoch(scheduled));
            result.step.push(stepIndex);
            result.webhook.push(webhook);
          },
          (error: unknown) => fail((error as { code?: string }).code ?? String(error)),
        )
        .finally(() => {
          settled += 1;
          outstanding -= 1;
        });
    };
    const t0 = performance.now() + 5;
    let next = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        while (next < total && t0 + next * interval <= now) {
          fire(t0 + next * interval);
          next += 1;
        }
        if (next < total) setTimeout(tick, 1);
        else resolve();
      };
      setTimeout(tick, 5);
    });
    const end = performance.now();
    // The next step starts at once (open loop): this step's answers are counted at the end.
    const stepResult = (): StepResult => ({
      ...step,
      offered: total,
      sent,
      accepted,
      errors: errors + (sent - settled),
      errorKinds: sent > settled ? { ...errorKinds, unsettled: sent - settled } : errorKinds,
      ackMs: summary(ack),
      sendLagP99Ms: lag.getValueAtPercentile(99) / 1000,
      sendLagMaxMs: lag.maxValue / 1000,
      start: epoch(t0),
      end: epoch(end),
    });
    result.steps.push(stepResult());
    makers.push(stepResult);
  }
  // Every answer is in once the pool closes (each request is bounded by the pool's timeouts,
  // counted from its dispatch): the step results are taken again with all of them.
  await client.close().catch(() => undefined);
  const until = performance.now() + 5_000;
  while (outstanding > 0 && performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  result.steps = makers.map((make) => make());
  return result;
}

process.on('message', (message: { type: string } & Partial<RunRequest>) => {
  if (message.type === 'exit') process.exit(0);
  if (message.type === 'run') {
    void run(message as RunRequest).then(
      (result) => process.send?.({ type: 'result', ...result }),
      (error: unknown) => process.send?.({ type: 'error', message: String(error) }),
    );
  }
});
process.send?.({ type: 'ready' });
