import { clockOf, keysOf, toleranceOf } from '../config.ts';
import type { StripeConfig } from '../config.ts';
import { STRIPE_SIGNATURE_HEADER as HEADER } from '../defaults.ts';
import { WebhookVerificationError } from '../errors.ts';
import { assertRawBody, requireHeader } from '../headers.ts';
import { hmac, matchingSecret } from '../hmac.ts';
import { hmacKey } from '../secrets.ts';
import { checkFreshness, parseUnixSeconds, signingTimestamp } from '../timestamp.ts';
import type { WebhookSigner, WebhookVerifier } from '../webhook.types.ts';

/** Hex HMAC-SHA256 of `${t}.${body}`. Stripe keys the HMAC with the whole `whsec_...` string. */
const digest = (key: Buffer, t: string, body: Uint8Array | string): string =>
  hmac('sha256', key, [`${t}.`, body]).toString('hex');

/** `t=<unix>,v1=<hex>[,v1=<hex>...]`; other keys (`v0`) are skipped, exactly one `t` is required. */
function parse(value: string): { t: string; v1: string[] } {
  let t: string | undefined;
  const v1: string[] = [];
  for (const item of value.split(',')) {
    const equals = item.indexOf('=');
    if (equals <= 0) throw new WebhookVerificationError('malformed_header', HEADER);
    const key = item.slice(0, equals);
    const text = item.slice(equals + 1);
    if (key === 't') {
      if (t !== undefined) throw new WebhookVerificationError('malformed_header', HEADER);
      t = text;
    } else if (key === 'v1') {
      v1.push(text);
    }
  }
  if (t === undefined) throw new WebhookVerificationError('malformed_header', HEADER);
  return { t, v1 };
}

export function stripeVerifier(config: StripeConfig): WebhookVerifier {
  const keys = keysOf(config.secrets, hmacKey);
  const tolerance = toleranceOf(config.toleranceSeconds, 'toleranceSeconds');
  const now = clockOf(config.now);
  return {
    scheme: 'stripe',
    verify(rawBody, headers) {
      assertRawBody(rawBody);
      const { t, v1 } = parse(requireHeader(headers, HEADER));
      const timestamp = parseUnixSeconds(t, HEADER);
      const secretIndex = matchingSecret(
        keys.map((key) => digest(key, t, rawBody)),
        v1,
      );
      if (secretIndex < 0) throw new WebhookVerificationError('bad_signature', HEADER);
      // After the signature: a stale reason then always describes a genuine (replayed/late) event.
      checkFreshness(timestamp, now(), tolerance, HEADER);
      return { scheme: 'stripe', timestamp, secretIndex };
    },
  };
}

export function stripeSigner(config: StripeConfig): WebhookSigner {
  const keys = keysOf(config.secrets, hmacKey);
  const now = clockOf(config.now);
  return {
    scheme: 'stripe',
    sign(body, options = {}) {
      const t = String(signingTimestamp(options.timestamp, now()));
      const signatures = keys.map((key) => `v1=${digest(key, t, body)}`);
      return { [HEADER]: [`t=${t}`, ...signatures].join(',') };
    },
  };
}
