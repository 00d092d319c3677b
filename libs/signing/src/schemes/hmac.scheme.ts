import type { HmacConfig } from '../config.ts';
import { SigningConfigError, WebhookVerificationError } from '../errors.ts';
import { assertRawBody, requireHeader } from '../headers.ts';
import { hmac, matchingSecret } from '../hmac.ts';
import { checkFreshness, parseUnixSeconds, signingTimestamp } from '../timestamp.ts';
import type {
  WebhookHeaders,
  WebhookScheme,
  WebhookSigner,
  WebhookVerifier,
} from '../webhook.types.ts';
import { settingsOf } from './hmac.settings.ts';
import type { Settings } from './hmac.settings.ts';

const digest = (
  s: Settings,
  key: Buffer,
  timestamp: string | undefined,
  body: Uint8Array | string,
) =>
  hmac(s.algorithm, key, timestamp === undefined ? [body] : [`${timestamp}.`, body]).toString(
    s.encoding,
  );

/** The timestamp header as sent (it is signed verbatim) and its value, when configured. */
function signedTimestamp(s: Settings, headers: WebhookHeaders) {
  if (s.timestamp === undefined) return undefined;
  const { header, tolerance } = s.timestamp;
  const text = requireHeader(headers, header);
  return { header, tolerance, text, seconds: parseUnixSeconds(text, header) };
}

/** Shared by the generic scheme and GitHub (which is this shape with fixed settings). */
export function hmacVerifier(config: HmacConfig, scheme: WebhookScheme = 'hmac'): WebhookVerifier {
  const s = settingsOf(config);
  return {
    scheme,
    verify(rawBody, headers) {
      assertRawBody(rawBody);
      const value = requireHeader(headers, s.header);
      const encoded = value.slice(s.prefix.length);
      if (!value.startsWith(s.prefix) || !s.format.test(encoded)) {
        throw new WebhookVerificationError('malformed_header', s.header);
      }
      const signed = signedTimestamp(s, headers);
      const expected = s.keys.map((key) => digest(s, key, signed?.text, rawBody));
      const secretIndex = matchingSecret(expected, [encoded]);
      if (secretIndex < 0) throw new WebhookVerificationError('bad_signature', s.header);
      if (signed === undefined) return { scheme, secretIndex };
      // After the signature: a stale reason then always describes a genuine (replayed/late) event.
      checkFreshness(signed.seconds, s.now(), signed.tolerance, signed.header);
      return { scheme, timestamp: signed.seconds, secretIndex };
    },
  };
}

/** One signature per header, so only the first secret signs. */
export function hmacSigner(config: HmacConfig, scheme: WebhookScheme = 'hmac'): WebhookSigner {
  const s = settingsOf(config);
  const [key] = s.keys;
  if (key === undefined) throw new SigningConfigError('secrets must be a non-empty list');
  return {
    scheme,
    sign(body, options = {}) {
      if (s.timestamp === undefined) {
        return { [s.header]: s.prefix + digest(s, key, undefined, body) };
      }
      const timestamp = String(signingTimestamp(options.timestamp, s.now()));
      return {
        [s.timestamp.header]: timestamp,
        [s.header]: s.prefix + digest(s, key, timestamp, body),
      };
    },
  };
}
