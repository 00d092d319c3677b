import { isIP } from 'node:net';
import { DestinationRefusedError } from '../errors.ts';
import type { AddressPolicy } from './address-policy.ts';
import { bareAddress } from './ip-ranges.ts';

/**
 * Checks made before any connection: `https` only (unless `http` is allowed by config), no
 * credentials in the URL, and an IP-literal host judged at once. Host names are judged when a
 * connection is opened, against the addresses they resolve to (guarded-connector.ts).
 */
export interface UrlPolicyOptions {
  allowHttp: boolean;
  policy: AddressPolicy;
}

/** Parses and checks a callback URL; throws DestinationRefusedError. */
export function checkCallbackUrl(text: string, options: UrlPolicyOptions): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new DestinationRefusedError('refused: the callback URL does not parse', {
      category: 'url',
      cause,
    });
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && options.allowHttp)) {
    throw new DestinationRefusedError(
      `refused: ${url.protocol.slice(0, -1)} callbacks are not allowed (https only)`,
      { category: 'url' },
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new DestinationRefusedError('refused: credentials in a callback URL are not supported', {
      category: 'url',
    });
  }
  const host = bareAddress(url.hostname);
  if (isIP(host) !== 0) {
    const verdict = options.policy.check(host);
    if (!verdict.allowed) {
      throw new DestinationRefusedError(
        `refused: ${url.hostname} is a ${verdict.category} address`,
        { address: verdict.address, category: verdict.category },
      );
    }
  }
  return url;
}
