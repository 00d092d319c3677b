import { randomBytes, randomInt } from 'node:crypto';

/**
 * Realistic payloads for `send webhook` without `--file`, and for `demo`: shaped like what each
 * provider sends (trimmed to the fields a route is likely to read), with fresh ids so a repeat
 * of the command is a new delivery, not a duplicate.
 */
const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let out = prefix;
  for (const b of bytes) out += ALPHANUM[b % ALPHANUM.length];
  return out;
}

const repository = {
  id: 812_345_678,
  name: 'payments-service',
  full_name: 'acme/payments-service',
  private: true,
  html_url: 'https://github.com/acme/payments-service',
  default_branch: 'main',
};

const sender = { login: 'octocat', id: 583_231, type: 'User' };

function pullRequest(now: number) {
  const number = randomInt(100, 10_000);
  return {
    action: 'opened',
    number,
    pull_request: {
      id: randomInt(1_000_000_000, 2_000_000_000),
      number,
      state: 'open',
      title: 'Retry card captures on gateway timeouts',
      body:
        'Card captures that time out at the gateway are now retried up to 3 times with ' +
        'exponential backoff (200 ms, 800 ms, 3.2 s). The idempotency key of the capture is ' +
        'reused on each retry so the gateway cannot double-charge.\n\n' +
        '- adds `CaptureRetryPolicy`\n- moves the gateway timeout from 30 s to 10 s\n' +
        '- logs the gateway request id on every attempt\n\nCloses #412',
      html_url: `https://github.com/acme/payments-service/pull/${number}`,
      diff_url: `https://github.com/acme/payments-service/pull/${number}.diff`,
      user: sender,
      head: { ref: 'feature/capture-retries', sha: randomBytes(20).toString('hex') },
      base: { ref: 'main', sha: randomBytes(20).toString('hex') },
      draft: false,
      additions: 214,
      deletions: 37,
      changed_files: 6,
      created_at: new Date(now).toISOString(),
    },
    repository,
    sender,
  };
}

function issue(now: number) {
  const number = randomInt(100, 10_000);
  return {
    action: 'opened',
    issue: {
      number,
      title: 'Refund webhook arrives before the charge webhook',
      body:
        'Since Tuesday about 2 % of refunds fail with "charge not found": the refund event is ' +
        'processed before the charge it refers to. Seen on eu-west only.',
      html_url: `https://github.com/acme/payments-service/issues/${number}`,
      user: sender,
      labels: [{ name: 'bug' }],
      created_at: new Date(now).toISOString(),
    },
    repository,
    sender,
  };
}

function push(now: number) {
  return {
    ref: 'refs/heads/main',
    before: randomBytes(20).toString('hex'),
    after: randomBytes(20).toString('hex'),
    commits: [
      {
        id: randomBytes(20).toString('hex'),
        message: 'Bump the gateway client to 4.2.1',
        timestamp: new Date(now).toISOString(),
        author: { name: 'Octo Cat', username: 'octocat' },
      },
    ],
    repository,
    pusher: { name: 'octocat' },
    sender,
  };
}

/** A GitHub payload for `event` (the X-GitHub-Event value). */
export function githubPayload(event: string, now: number): Record<string, unknown> {
  switch (event) {
    case 'pull_request':
      return pullRequest(now);
    case 'issues':
      return issue(now);
    case 'push':
      return push(now);
    default:
      return { action: 'created', repository, sender };
  }
}

/** A Stripe event object of type `event` (its `id` is the idempotency key ingest uses). */
export function stripePayload(event: string, now: number): Record<string, unknown> {
  const created = Math.floor(now / 1000);
  return {
    id: randomId('evt_'),
    object: 'event',
    api_version: '2024-06-20',
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: randomId('req_', 14), idempotency_key: null },
    type: event,
    data: {
      object: {
        id: randomId('dp_'),
        object: 'dispute',
        amount: 4_999,
        currency: 'eur',
        reason: 'product_not_received',
        status: 'needs_response',
        charge: randomId('ch_'),
        evidence_details: { due_by: created + 7 * 86_400 },
        created,
      },
    },
  };
}

/** An Anthropic webhook event (`beta.webhooks.unwrap()` shape): the event type is `data.type`. */
export function anthropicPayload(event: string, now: number): Record<string, unknown> {
  return {
    type: 'event',
    id: randomId('wevt_'),
    created_at: new Date(now).toISOString(),
    data: {
      type: event,
      id: randomId('sesn_'),
      organization_id: '4f7c8a52-5b1e-4d2e-9c1a-2b3c4d5e6f70',
      workspace_id: randomId('wrkspc_'),
    },
  };
}

/** A Standard Webhooks payload (`type`, `timestamp`, `data`). */
export function standardPayload(event: string, now: number): Record<string, unknown> {
  return { type: event, timestamp: new Date(now).toISOString(), data: {} };
}
