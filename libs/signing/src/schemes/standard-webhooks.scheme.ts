import { clockOf, keysOf, toleranceOf } from '../config.ts';
import type { StandardWebhooksConfig } from '../config.ts';
import { STANDARD_WEBHOOK_HEADERS as H } from '../defaults.ts';
import { WebhookVerificationError } from '../errors.ts';
import { assertRawBody, requireHeader } from '../headers.ts';
import { hmac, matchingSecret } from '../hmac.ts';
import { standardWebhookKey } from '../secrets.ts';
import { checkFreshness, parseUnixSeconds, signingTimestamp } from '../timestamp.ts';
import type { WebhookSigner, WebhookVerifier } from '../webhook.types.ts';

// Visible ASCII without spaces: an id goes into a header and into the signed content.
const MESSAGE_ID = /^[\x21-\x7e]+$/;

/** Base64 HMAC-SHA256 of `${id}.${timestamp}.${body}`, the header strings taken as sent. */
const digest = (key: Buffer, id: string, timestamp: string, body: Uint8Array | string): string =>
  hmac('sha256', key, [`${id}.${timestamp}.`, body]).toString('base64');

/** The `v1` signatures of a space-separated list; other versions (`v1a,`, `v2,`) are skipped. */
function v1Signatures(value: string): string[] {
  const entries = value.split(' ').filter((entry) => entry !== '');
  return entries.flatMap((entry) => {
    const comma = entry.indexOf(',');
    if (comma <= 0) throw new WebhookVerificationError('malformed_header', H.signature);
    return entry.slice(0, comma) === 'v1' ? [entry.slice(comma + 1)] : [];
  });
}

export function standardWebhooksVerifier(config: StandardWebhooksConfig): WebhookVerifier {
  const keys = keysOf(config.secrets, standardWebhookKey);
  const tolerance = toleranceOf(config.toleranceSeconds, 'toleranceSeconds');
  const now = clockOf(config.now);
  return {
    scheme: 'standard-webhooks',
    verify(rawBody, headers) {
      assertRawBody(rawBody);
      const id = requireHeader(headers, H.id);
      const timestampText = requireHeader(headers, H.timestamp);
      const candidates = v1Signatures(requireHeader(headers, H.signature));
      const timestamp = parseUnixSeconds(timestampText, H.timestamp);
      const expected = keys.map((key) => digest(key, id, timestampText, rawBody));
      const secretIndex = matchingSecret(expected, candidates);
      if (secretIndex < 0) throw new WebhookVerificationError('bad_signature', H.signature);
      // Checked after the signature, so a stale-timestamp reason only ever describes a genuine
      // message (clock skew, a late retry or a replay), never a forgery.
      checkFreshness(timestamp, now(), tolerance, H.timestamp);
      return { scheme: 'standard-webhooks', id, timestamp, secretIndex };
    },
  };
}

export function standardWebhooksSigner(config: StandardWebhooksConfig): WebhookSigner {
  const keys = keysOf(config.secrets, standardWebhookKey);
  const now = clockOf(config.now);
  return {
    scheme: 'standard-webhooks',
    sign(body, options = {}) {
      const { id } = options;
      if (id === undefined || !MESSAGE_ID.test(id)) {
        throw new RangeError('Standard Webhooks signing needs an id of visible ASCII characters');
      }
      const timestamp = String(signingTimestamp(options.timestamp, now()));
      return {
        [H.id]: id,
        [H.timestamp]: timestamp,
        [H.signature]: keys.map((key) => `v1,${digest(key, id, timestamp, body)}`).join(' '),
      };
    },
  };
}
