/**
 * Open-loop load for the chaos run: one submission every 1/rate seconds whatever the pipeline
 * does (a slow or dead ingest does not slow the arrivals), alternating signed GitHub webhooks and
 * API jobs (realtime, and every `batchEvery`-th in batch mode), every one with a callback to the
 * receiver. A submission that fails (connection refused while ingest is down, 5xx while Kafka is
 * cut) is retried with the SAME idempotency key, as a well-behaved client does, until it is
 * accepted or `retryForMs` passes. A job counts as submitted only once ingest answered 202.
 */
import { randomUUID } from 'node:crypto';
import { createSigner } from '@claude-pipeline/signing';

export type SubmissionKind = 'github' | 'api' | 'api-batch';

export interface Submission {
  seq: number;
  kind: SubmissionKind;
  idempotencyKey: string;
  correlationId: string;
  firstSentAt: number;
  /** Set when ingest answered 202. */
  acceptedAt?: number;
  jobId?: string;
  attempts: number;
  /** Status (or error code) of each failed attempt. */
  failures: string[];
  /** A 4xx other than 408/409/429: the request itself was refused (not retried). */
  rejected?: string;
  /** Not accepted within retryForMs. */
  gaveUp?: boolean;
}

export interface LoadOptions {
  ingest: string;
  apiKey: string;
  githubSecret: string;
  callbackUrl: string;
  /** Submissions per second. */
  rate: number;
  durationMs: number;
  /** Every n-th API job runs in batch mode (0: none). */
  batchEvery: number;
  retryForMs: number;
}

export interface LoadRun {
  submissions: Submission[];
  /** Resolves when every submission is accepted, rejected or given up. */
  done: Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function pullRequest(seq: number) {
  return {
    action: 'opened',
    number: seq,
    repository: { full_name: 'acme/chaos' },
    pull_request: {
      number: seq,
      title: `Chaos change ${seq}`,
      body: 'Keeps the ledger consistent.',
      user: { login: 'octocat' },
      base: { ref: 'main' },
      head: { ref: `chaos-${seq}`, sha: 'f00dfeed' },
      draft: false,
      commits: 1,
      changed_files: 2,
      additions: 10,
      deletions: 3,
      labels: [],
      html_url: `https://github.com/acme/chaos/pull/${seq}`,
    },
  };
}

async function attempt(options: LoadOptions, s: Submission): Promise<Response> {
  const common = {
    'content-type': 'application/json',
    'correlation-id': s.correlationId,
  };
  if (s.kind === 'github') {
    const body = JSON.stringify(pullRequest(s.seq));
    const signed = createSigner({ scheme: 'github', secrets: [options.githubSecret] }).sign(body);
    return fetch(`${options.ingest}/v1/webhooks/github`, {
      method: 'POST',
      headers: {
        ...common,
        'x-github-event': 'pull_request',
        'x-github-delivery': s.idempotencyKey,
        ...signed,
      },
      body,
      signal: AbortSignal.timeout(15_000),
    });
  }
  return fetch(`${options.ingest}/v1/jobs`, {
    method: 'POST',
    headers: {
      ...common,
      authorization: `Bearer ${options.apiKey}`,
      'idempotency-key': s.idempotencyKey,
    },
    body: JSON.stringify({
      prompt: `Chaos job ${s.seq}: summarise "the ledger moved".`,
      max_tokens: 64,
      callback_url: `${options.callbackUrl}/chaos`,
      ...(s.kind === 'api-batch' ? { mode: 'batch' } : {}),
    }),
    signal: AbortSignal.timeout(15_000),
  });
}

async function submit(options: LoadOptions, s: Submission): Promise<void> {
  let backoff = 250;
  for (;;) {
    s.attempts += 1;
    try {
      const response = await attempt(options, s);
      const text = await response.text();
      if (response.status === 202) {
        s.acceptedAt = Date.now();
        s.jobId = (JSON.parse(text) as { id: string }).id;
        return;
      }
      if (
        response.status >= 400 &&
        response.status < 500 &&
        ![408, 409, 429].includes(response.status)
      ) {
        s.rejected = `${response.status} ${text.slice(0, 200)}`;
        return;
      }
      s.failures.push(String(response.status));
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      s.failures.push(cause?.code ?? (error as Error).name);
    }
    if (Date.now() - s.firstSentAt > options.retryForMs) {
      s.gaveUp = true;
      return;
    }
    await sleep(backoff);
    backoff = Math.min(backoff * 2, 4_000);
  }
}

export function startLoad(options: LoadOptions): LoadRun {
  const submissions: Submission[] = [];
  const pending: Promise<void>[] = [];
  const interval = 1000 / options.rate;
  const started = Date.now();
  const done = (async () => {
    let apiCount = 0;
    for (let seq = 0; ; seq++) {
      // Open loop: the n-th arrival is due at start + n/rate, however late the previous ones are.
      const due = started + seq * interval;
      if (due - started >= options.durationMs) break;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      let kind: SubmissionKind = 'github';
      if (seq % 2 === 1) {
        apiCount += 1;
        kind = options.batchEvery > 0 && apiCount % options.batchEvery === 0 ? 'api-batch' : 'api';
      }
      const s: Submission = {
        seq,
        kind,
        idempotencyKey: randomUUID(),
        correlationId: `chaos-${randomUUID()}`,
        firstSentAt: Date.now(),
        attempts: 0,
        failures: [],
      };
      submissions.push(s);
      pending.push(submit(options, s));
    }
    await Promise.all(pending);
  })();
  return { submissions, done };
}
