import type { GitHubConfig, HmacConfig } from '../config.ts';
import { GITHUB_SIGNATURE_HEADER } from '../defaults.ts';
import type { WebhookSigner, WebhookVerifier } from '../webhook.types.ts';
import { hmacSigner, hmacVerifier } from './hmac.scheme.ts';

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`. Nothing else is
 * signed: `X-GitHub-Delivery` is not covered by the signature, so it is not reported as an id.
 */
const asHmac = (config: GitHubConfig): HmacConfig => ({
  scheme: 'hmac',
  secrets: config.secrets,
  header: GITHUB_SIGNATURE_HEADER,
  prefix: 'sha256=',
  encoding: 'hex',
  algorithm: 'sha256',
});

export const gitHubVerifier = (config: GitHubConfig): WebhookVerifier =>
  hmacVerifier(asHmac(config), 'github');

export const gitHubSigner = (config: GitHubConfig): WebhookSigner =>
  hmacSigner(asHmac(config), 'github');
