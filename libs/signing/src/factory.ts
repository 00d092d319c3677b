import type { SchemeConfig } from './config.ts';
import { SigningConfigError } from './errors.ts';
import { gitHubSigner, gitHubVerifier } from './schemes/github.scheme.ts';
import { hmacSigner, hmacVerifier } from './schemes/hmac.scheme.ts';
import {
  standardWebhooksSigner,
  standardWebhooksVerifier,
} from './schemes/standard-webhooks.scheme.ts';
import { stripeSigner, stripeVerifier } from './schemes/stripe.scheme.ts';
import type { WebhookSigner, WebhookVerifier } from './webhook.types.ts';

/**
 * A verifier for one webhook source. Secrets are parsed and the config checked here, once: a bad
 * config throws `SigningConfigError` at boot instead of failing every request.
 */
export function createVerifier(config: SchemeConfig): WebhookVerifier {
  switch (config.scheme) {
    case 'standard-webhooks':
      return standardWebhooksVerifier(config);
    case 'github':
      return gitHubVerifier(config);
    case 'stripe':
      return stripeVerifier(config);
    case 'hmac':
      return hmacVerifier(config);
    default:
      return unknownScheme(config);
  }
}

/** A signer for the same configs (callbacks, the CLI, tests). */
export function createSigner(config: SchemeConfig): WebhookSigner {
  switch (config.scheme) {
    case 'standard-webhooks':
      return standardWebhooksSigner(config);
    case 'github':
      return gitHubSigner(config);
    case 'stripe':
      return stripeSigner(config);
    case 'hmac':
      return hmacSigner(config);
    default:
      return unknownScheme(config);
  }
}

function unknownScheme(config: never): never {
  const scheme = (config as { scheme?: unknown } | undefined)?.scheme;
  throw new SigningConfigError(
    `scheme must be one of standard-webhooks, github, stripe, hmac (got ${JSON.stringify(String(scheme))})`,
  );
}
