/**
 * Webhook sources of every scheme, their secrets, and correctly signed requests, shared by the
 * unit and integration tests. Signatures come from `createSigner` of libs/signing (the same
 * code the CLI and the notifier use), never from the code under test.
 */
import { randomUUID } from 'node:crypto';
import { createSigner, generateStandardWebhookSecret } from '@claude-pipeline/signing';

export const SECRETS = {
  INGEST_TEST_GITHUB: 'github-secret-for-tests',
  INGEST_TEST_SW_NEW: generateStandardWebhookSecret(),
  INGEST_TEST_SW_OLD: generateStandardWebhookSecret(),
  INGEST_TEST_STRIPE: 'whsec_stripe_secret_for_tests',
  INGEST_TEST_SHOP: 'shop-secret-for-tests',
  INGEST_TEST_ANTHROPIC: generateStandardWebhookSecret(),
} as const;

const route = (instruction: string, fields: Record<string, string>) => ({
  system: 'You are a careful assistant. Trusted configuration only.',
  instruction,
  fields,
  task_class: 'summary',
  max_tokens: 512,
});

/** A sources file (as parsed JSON) with one source per scheme. */
export const SOURCES = {
  sources: {
    github: {
      tenant: 'acme',
      scheme: 'github',
      secret_env: 'INGEST_TEST_GITHUB',
      routes: {
        pull_request: {
          ...route('Summarise this pull request and flag risks.', {
            title: 'pull_request.title',
            description: 'pull_request.body',
            author: 'pull_request.user.login',
          }),
          when: { action: ['opened', 'synchronize'] },
          metadata_fields: { repository: 'repository.full_name' },
        },
      },
    },
    billing: {
      tenant: 'acme',
      scheme: 'standard-webhooks',
      secret_env: ['INGEST_TEST_SW_NEW', 'INGEST_TEST_SW_OLD'],
      routes: {
        'invoice.paid': route('Write a thank-you note for this invoice.', {
          customer: 'data.customer',
          amount: 'data.amount',
        }),
      },
    },
    stripe: {
      tenant: 'globex',
      scheme: 'stripe',
      secret_env: 'INGEST_TEST_STRIPE',
      routes: {
        'invoice.payment_failed': route('Draft a dunning email.', {
          customer: 'data.object.customer',
        }),
      },
    },
    shop: {
      tenant: 'acme',
      scheme: 'hmac',
      secret_env: 'INGEST_TEST_SHOP',
      hmac: {
        header: 'X-Shop-Hmac-Sha256',
        encoding: 'base64',
        timestamp_header: 'X-Shop-Timestamp',
      },
      idempotency_key: { header: 'X-Shop-Event-Id' },
      event_type: { path: 'topic' },
      routes: {
        'orders/create': route('Check this order for fraud signals.', { order: 'order' }),
      },
    },
    anthropic: {
      tenant: 'acme',
      scheme: 'anthropic',
      secret_env: 'INGEST_TEST_ANTHROPIC',
      routes: {
        'deployment_run.failed': route('Write an incident note.', {
          run_id: 'data.id',
          workspace_id: 'data.workspace_id',
        }),
      },
    },
  },
};

export type SourceName = keyof typeof SOURCES.sources;
export const SOURCE_NAMES = Object.keys(SOURCES.sources) as SourceName[];

/** A payload each source routes to a job, and its event type. */
export function samplePayload(source: SourceName, id = randomUUID()): Record<string, unknown> {
  switch (source) {
    case 'github':
      return {
        action: 'opened',
        repository: { full_name: 'acme/widgets' },
        pull_request: {
          number: 7,
          title: 'Add retries',
          body: 'Retries failed uploads.',
          user: { login: 'octocat' },
        },
      };
    case 'billing':
      return { type: 'invoice.paid', data: { customer: 'cus_1', amount: 4200 } };
    case 'stripe':
      return {
        id: `evt_${id.replaceAll('-', '')}`,
        type: 'invoice.payment_failed',
        data: { object: { customer: 'cus_9' } },
      };
    case 'shop':
      return { topic: 'orders/create', order: { id: 991, total: '19.99' } };
    case 'anthropic':
      return {
        id: `wevt_${id.replaceAll('-', '')}`,
        type: 'event',
        created_at: '2026-03-01T12:00:00Z',
        data: {
          type: 'deployment_run.failed',
          id: 'drun_01',
          organization_id: 'org_1',
          workspace_id: 'wrkspc_1',
        },
      };
  }
}

export interface SignOptions {
  /** Unix seconds to sign (default: the clock). */
  timestamp?: number;
  /** The delivery id header value (default: a new UUID). */
  deliveryId?: string;
  /** Sign with this secret instead of the configured one (a forgery). */
  secret?: string;
  now?: () => number;
}

/** Headers of a correctly signed delivery of `body` to `source` (content type included). */
export function signedHeaders(
  source: SourceName,
  body: string,
  options: SignOptions = {},
): Record<string, string> {
  const now = options.now ?? Date.now;
  const deliveryId = options.deliveryId ?? randomUUID();
  const ts = options.timestamp === undefined ? {} : { timestamp: options.timestamp };
  const json = { 'content-type': 'application/json' };
  switch (source) {
    case 'github':
      return {
        ...json,
        ...createSigner({
          scheme: 'github',
          secrets: [options.secret ?? SECRETS.INGEST_TEST_GITHUB],
          now,
        }).sign(body),
        'x-github-event': 'pull_request',
        'x-github-delivery': deliveryId,
      };
    case 'billing':
      return {
        ...json,
        ...createSigner({
          scheme: 'standard-webhooks',
          // The old secret: rotation means either is accepted.
          secrets: [options.secret ?? SECRETS.INGEST_TEST_SW_OLD],
          now,
        }).sign(body, { id: `msg_${deliveryId}`, ...ts }),
      };
    case 'anthropic':
      return {
        ...json,
        ...createSigner({
          scheme: 'standard-webhooks',
          secrets: [options.secret ?? SECRETS.INGEST_TEST_ANTHROPIC],
          now,
        }).sign(body, { id: `msg_${deliveryId}`, ...ts }),
      };
    case 'stripe':
      return {
        ...json,
        ...createSigner({
          scheme: 'stripe',
          secrets: [options.secret ?? SECRETS.INGEST_TEST_STRIPE],
          now,
        }).sign(body, ts),
      };
    case 'shop':
      return {
        ...json,
        ...createSigner({
          scheme: 'hmac',
          secrets: [options.secret ?? SECRETS.INGEST_TEST_SHOP],
          header: 'x-shop-hmac-sha256',
          encoding: 'base64',
          timestamp: { header: 'x-shop-timestamp' },
          now,
        }).sign(body, ts),
        'x-shop-event-id': deliveryId,
      };
  }
}
