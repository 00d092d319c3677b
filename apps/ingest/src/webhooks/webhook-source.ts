import {
  createVerifier,
  isSigningConfigError,
  type Clock,
  type SchemeConfig,
  type VerifiedWebhook,
  type WebhookHeaders,
} from '@claude-pipeline/signing';
import type { SourceConfig } from '../config/sources.config.ts';
import type { Extractor, RouteConfig, SourceScheme } from '../config/sources.schema.ts';
import { IngestConfigError } from '../errors.ts';
import { readPath, scalarText } from './json-path.ts';

/** A configured webhook source, ready for requests: its verifier is built once, at boot. */
export interface WebhookSource {
  readonly name: string;
  readonly tenant: string;
  readonly scheme: SourceScheme;
  /** Checks the signature over the raw bytes; throws `WebhookVerificationError`. */
  verify(rawBody: Uint8Array, headers: WebhookHeaders): VerifiedWebhook;
  /** The event type, or undefined when the header/field is absent or not text. */
  eventType(headers: WebhookHeaders, payload: unknown): string | undefined;
  /** The sender's delivery id, or undefined when absent. */
  deliveryId(headers: WebhookHeaders, payload: unknown): string | undefined;
  /** Where the event type or the delivery id comes from, for error messages. */
  describe(what: 'eventType' | 'deliveryId'): string;
  route(eventType: string): RouteConfig | undefined;
}

function schemeConfig(config: SourceConfig, now: Clock | undefined): SchemeConfig {
  const secrets = config.secrets.map((secret) => secret.value);
  const common = { secrets, ...(now === undefined ? {} : { now }) };
  const tolerance =
    config.toleranceSeconds === undefined ? {} : { toleranceSeconds: config.toleranceSeconds };
  switch (config.scheme) {
    // Anthropic's webhooks follow Standard Webhooks (README: why not the SDK's unwrap()).
    case 'standard-webhooks':
    case 'anthropic':
      return { scheme: 'standard-webhooks', ...common, ...tolerance };
    case 'github':
      return { scheme: 'github', ...common };
    case 'stripe':
      return { scheme: 'stripe', ...common, ...tolerance };
    case 'hmac': {
      const hmac = config.hmac;
      if (hmac === undefined) {
        throw new IngestConfigError(`webhook source "${config.name}": scheme hmac needs "hmac"`);
      }
      return {
        scheme: 'hmac',
        ...common,
        header: hmac.header,
        encoding: hmac.encoding,
        ...(hmac.prefix === undefined ? {} : { prefix: hmac.prefix }),
        ...(hmac.algorithm === undefined ? {} : { algorithm: hmac.algorithm }),
        ...(hmac.timestamp_header === undefined
          ? {}
          : { timestamp: { header: hmac.timestamp_header, ...tolerance } }),
      };
    }
  }
}

function headerValue(headers: WebhookHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function extract(extractor: Extractor, headers: WebhookHeaders, payload: unknown) {
  return 'header' in extractor
    ? headerValue(headers, extractor.header)
    : scalarText(readPath(payload, extractor.path));
}

const describeExtractor = (extractor: Extractor): string =>
  'header' in extractor ? `header ${extractor.header}` : `payload field ${extractor.path}`;

export function createWebhookSource(
  config: SourceConfig,
  options: { now?: Clock } = {},
): WebhookSource {
  let verifier;
  try {
    verifier = createVerifier(schemeConfig(config, options.now));
  } catch (error) {
    if (!isSigningConfigError(error)) throw error;
    // Name the variable, never the secret: the signing lib's message says `secrets[<index>]`.
    const message = error.message.replace(
      /secrets\[(\d+)\]/g,
      (match, index: string) => config.secrets[Number(index)]?.env ?? match,
    );
    throw new IngestConfigError(`webhook source "${config.name}": ${message}`, { cause: error });
  }
  return {
    name: config.name,
    tenant: config.tenant,
    scheme: config.scheme,
    verify: (rawBody, headers) => verifier.verify(rawBody, headers),
    eventType: (headers, payload) => extract(config.eventType, headers, payload),
    deliveryId: (headers, payload) => extract(config.idempotencyKey, headers, payload),
    describe: (what) =>
      describeExtractor(what === 'eventType' ? config.eventType : config.idempotencyKey),
    route: (eventType) => config.routes.get(eventType),
  };
}
