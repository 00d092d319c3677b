import { randomUUID } from 'node:crypto';
import {
  createSigner,
  type HmacAlgorithm,
  type SchemeConfig,
  type SignatureEncoding,
} from '@claude-pipeline/signing';
import { UsageError } from '../errors.ts';
import { isRecord, parseJsonOrUndefined } from '../output/format.ts';
import {
  anthropicPayload,
  githubPayload,
  randomId,
  standardPayload,
  stripePayload,
} from './sample-payloads.ts';

/**
 * A webhook request as the provider would send it: its body bytes, its own headers (GitHub's
 * event and delivery ids, Stripe's event id in the body, Standard Webhooks' `webhook-id`) and a
 * signature made over exactly those bytes with the scheme of the source.
 */
export const PROVIDER_SCHEMES = [
  'github',
  'stripe',
  'standard-webhooks',
  'anthropic',
  'hmac',
] as const;
export type ProviderScheme = (typeof PROVIDER_SCHEMES)[number];

/** Event sent when none is given and no file says it. */
export const DEFAULT_EVENTS: Readonly<Partial<Record<ProviderScheme, string>>> = {
  github: 'pull_request',
  stripe: 'charge.dispute.created',
  anthropic: 'session.idled',
};

/** A source named like a provider uses that provider's scheme unless `--scheme` says otherwise. */
export function schemeForSource(source: string): ProviderScheme {
  return source === 'github' || source === 'stripe' || source === 'anthropic'
    ? source
    : 'standard-webhooks';
}

export interface HmacOptions {
  header: string;
  prefix?: string;
  encoding: SignatureEncoding;
  algorithm?: HmacAlgorithm;
  timestampHeader?: string;
}

export interface WebhookRequestOptions {
  scheme: ProviderScheme;
  /** Event type; from the payload (or the scheme's default) when absent. */
  event?: string | undefined;
  /** The payload bytes to send verbatim; a sample payload for the event when absent. */
  body?: Buffer | undefined;
  /** Signing secrets (several for rotation where the scheme carries several signatures). */
  secrets: readonly string[];
  /** Send without a signature (to see a 401). */
  unsigned?: boolean;
  /** Delivery / message id (`X-GitHub-Delivery`, `webhook-id`); generated when absent. */
  id?: string | undefined;
  hmac?: HmacOptions | undefined;
  /** Added last: they may override what the provider would send. */
  extraHeaders?: Readonly<Record<string, string>>;
  now: () => number;
}

export interface WebhookRequest {
  body: Buffer;
  headers: Record<string, string>;
  event: string | undefined;
  /** The id ingest takes as the idempotency key (delivery id, webhook-id or Stripe event id). */
  deliveryId: string | undefined;
}

export function buildWebhookRequest(options: WebhookRequestOptions): WebhookRequest {
  const { scheme, now } = options;
  const given = options.body;
  const json = given === undefined ? undefined : parseJsonOrUndefined(given.toString('utf8'));
  const payloadEvent = eventInPayload(scheme, json);
  if (
    options.event !== undefined &&
    payloadEvent !== undefined &&
    options.event !== payloadEvent &&
    scheme !== 'github'
  ) {
    throw new UsageError(
      `--event ${options.event} contradicts the payload, whose event type is ${payloadEvent}`,
      'leave out --event: for this scheme the event type travels in the payload',
    );
  }
  // A default event only goes with a sample payload: a file's own type is never guessed.
  const event =
    options.event ?? payloadEvent ?? (given === undefined ? DEFAULT_EVENTS[scheme] : undefined);
  if (event === undefined && given === undefined) {
    throw new UsageError(`--event is required for scheme ${scheme} without --file`);
  }
  if (scheme === 'github' && event === undefined) {
    throw new UsageError('--event is required for GitHub (it is sent as X-GitHub-Event)');
  }

  const payload = given ?? Buffer.from(JSON.stringify(samplePayload(scheme, event ?? '', now())));
  const parsed = given === undefined ? parseJsonOrUndefined(payload.toString('utf8')) : json;
  const headers: Record<string, string> = {};
  let deliveryId: string | undefined;

  switch (scheme) {
    case 'github':
      deliveryId = options.id ?? randomUUID();
      headers['content-type'] = 'application/json';
      headers['user-agent'] = 'GitHub-Hookshot/pipeline-cli';
      headers['x-github-event'] = event ?? '';
      headers['x-github-delivery'] = deliveryId;
      break;
    case 'stripe':
      deliveryId = isRecord(parsed) && typeof parsed['id'] === 'string' ? parsed['id'] : undefined;
      headers['content-type'] = 'application/json; charset=utf-8';
      headers['user-agent'] = 'Stripe/1.0 (+https://stripe.com/docs/webhooks)';
      break;
    case 'standard-webhooks':
    case 'anthropic':
      deliveryId =
        options.id ??
        (scheme === 'anthropic' && isRecord(parsed) && typeof parsed['id'] === 'string'
          ? parsed['id']
          : randomId('msg_'));
      headers['content-type'] = 'application/json';
      break;
    case 'hmac':
      deliveryId = options.id;
      headers['content-type'] = 'application/json';
      break;
  }

  if (!options.unsigned) {
    if (options.secrets.length === 0) {
      throw new UsageError(
        'no signing secret',
        'pass --secret, set PIPELINE_WEBHOOK_SECRET, or send --unsigned to test a rejection',
      );
    }
    const signer = createSigner(signerConfig(scheme, options));
    Object.assign(
      headers,
      signer.sign(payload, {
        ...(deliveryId === undefined ? {} : { id: deliveryId }),
        timestamp: Math.floor(now() / 1000),
      }),
    );
  } else if (scheme === 'standard-webhooks' || scheme === 'anthropic') {
    // Unsigned, but still the id and time a sender would put next to a signature.
    headers['webhook-id'] = deliveryId ?? randomId('msg_');
    headers['webhook-timestamp'] = String(Math.floor(now() / 1000));
  }

  Object.assign(headers, options.extraHeaders ?? {});
  return { body: payload, headers, event, deliveryId };
}

function signerConfig(scheme: ProviderScheme, options: WebhookRequestOptions): SchemeConfig {
  const secrets = options.secrets;
  const now = options.now;
  switch (scheme) {
    case 'github':
      return { scheme: 'github', secrets, now };
    case 'stripe':
      return { scheme: 'stripe', secrets, now };
    case 'standard-webhooks':
    case 'anthropic':
      return { scheme: 'standard-webhooks', secrets, now };
    case 'hmac': {
      const h = options.hmac;
      if (h === undefined) {
        throw new UsageError(
          'scheme hmac needs --hmac-header (and --hmac-encoding, --hmac-prefix)',
        );
      }
      return {
        scheme: 'hmac',
        secrets,
        now,
        header: h.header,
        encoding: h.encoding,
        ...(h.prefix === undefined ? {} : { prefix: h.prefix }),
        ...(h.algorithm === undefined ? {} : { algorithm: h.algorithm }),
        ...(h.timestampHeader === undefined ? {} : { timestamp: { header: h.timestampHeader } }),
      };
    }
  }
}

/** Where each scheme's payload names its event type (GitHub's is a header only). */
function eventInPayload(scheme: ProviderScheme, json: unknown): string | undefined {
  if (!isRecord(json)) return undefined;
  if (scheme === 'anthropic') {
    const data = json['data'];
    return isRecord(data) && typeof data['type'] === 'string' ? data['type'] : undefined;
  }
  if (scheme === 'stripe' || scheme === 'standard-webhooks') {
    return typeof json['type'] === 'string' ? json['type'] : undefined;
  }
  return undefined;
}

function samplePayload(scheme: ProviderScheme, event: string, now: number): unknown {
  switch (scheme) {
    case 'github':
      return githubPayload(event, now);
    case 'stripe':
      return stripePayload(event, now);
    case 'anthropic':
      return anthropicPayload(event, now);
    case 'standard-webhooks':
    case 'hmac':
      return standardPayload(event, now);
  }
}
