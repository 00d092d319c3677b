/**
 * GitHub `pull_request` webhooks for the ingest benchmark: bodies shaped like GitHub's (a
 * repository object with its many URLs, a pull request with a description), each signed the way
 * GitHub signs (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`). The signature
 * covers the body only, so a pool of distinct pre-signed bodies is enough: every request still
 * gets its own `X-GitHub-Delivery` id (the idempotency key), and the receiver verifies the HMAC
 * on every request.
 */
import { createHmac } from 'node:crypto';

export interface SignedBody {
  body: Buffer;
  signature: string;
}

export const githubSignature = (secret: string, body: Buffer): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

const repoUrls = (base: string): Record<string, string> =>
  Object.fromEntries(
    [
      'forks',
      'keys',
      'collaborators',
      'teams',
      'hooks',
      'issue_events',
      'events',
      'assignees',
      'branches',
      'tags',
      'blobs',
      'git_tags',
      'git_refs',
      'trees',
      'statuses',
      'languages',
      'stargazers',
      'contributors',
      'subscribers',
      'subscription',
      'commits',
      'git_commits',
      'comments',
      'issue_comment',
      'contents',
      'compare',
      'merges',
      'archive',
      'downloads',
      'issues',
      'pulls',
      'milestones',
      'notifications',
      'labels',
      'releases',
      'deployments',
    ].map((name) => [`${name}_url`, `${base}/${name}`]),
  );

function pullRequestEvent(n: number): Record<string, unknown> {
  const repo = 'acme/payments-service';
  const api = `https://api.github.com/repos/${repo}`;
  const user = {
    login: `dev-${n % 97}`,
    id: 100_000 + (n % 97),
    type: 'User',
    html_url: `https://github.com/dev-${n % 97}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${100_000 + (n % 97)}?v=4`,
  };
  return {
    action: 'opened',
    number: n,
    pull_request: {
      url: `${api}/pulls/${n}`,
      id: 2_000_000_000 + n,
      html_url: `https://github.com/${repo}/pull/${n}`,
      diff_url: `https://github.com/${repo}/pull/${n}.diff`,
      number: n,
      state: 'open',
      locked: false,
      title: `Refactor ledger reconciliation batch ${n} and add retry on settlement timeouts`,
      user,
      body:
        `This PR moves the nightly reconciliation into a batch job (#${n}).\n\n` +
        '- splits the settlement fetch into pages of 500\n- retries timeouts with backoff\n' +
        '- adds a migration that backfills `settled_at` for old rows\n\n'.repeat(6) +
        'Tested locally against a copy of staging. No API changes intended.',
      created_at: '2026-11-22T09:00:00Z',
      updated_at: '2026-11-22T09:00:00Z',
      draft: false,
      head: { label: `acme:feature/batch-${n}`, ref: `feature/batch-${n}`, sha: 'a'.repeat(40) },
      base: { label: 'acme:main', ref: 'main', sha: 'b'.repeat(40) },
      labels: [{ id: 1, name: 'backend', color: 'ededed', default: false }],
      commits: 1 + (n % 9),
      additions: 10 * (n % 50),
      deletions: 3 * (n % 40),
      changed_files: 1 + (n % 20),
    },
    repository: {
      id: 123_456_789,
      name: 'payments-service',
      full_name: repo,
      private: true,
      owner: { login: 'acme', id: 42, type: 'Organization' },
      html_url: `https://github.com/${repo}`,
      description: 'Ledger, settlement and payout processing',
      fork: false,
      url: api,
      ...repoUrls(api),
      default_branch: 'main',
    },
    organization: { login: 'acme', id: 42, url: 'https://api.github.com/orgs/acme' },
    sender: user,
  };
}

/** `count` distinct signed `pull_request` bodies. */
export function signedBodies(secret: string, count: number): SignedBody[] {
  return Array.from({ length: count }, (_, i) => {
    const body = Buffer.from(JSON.stringify(pullRequestEvent(1000 + i)));
    return { body, signature: githubSignature(secret, body) };
  });
}
