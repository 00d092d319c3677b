import { buildConnector } from 'undici';
import { DestinationRefusedError, NotifierError } from '../errors.ts';
import type { ResolvedAddress, Resolver } from '../http/resolver.ts';
import type { AddressPolicy } from './address-policy.ts';

/**
 * An undici connector that resolves the host itself, checks every address it got against the
 * SSRF policy, and connects to the checked address: no second lookup happens between check and
 * connect. TLS keeps the original host name for SNI and certificate checks, and the Host header
 * is the URL's (undici sets it from the origin, not from the socket).
 */
export interface GuardedConnectorOptions {
  policy: AddressPolicy;
  resolver: Resolver;
  /** Connect timeout (ms). */
  timeoutMs: number;
  /** Told which address each connection goes to (logs, tests). */
  onConnect?: (hostname: string, address: ResolvedAddress) => void;
}

/**
 * Resolves `hostname` and returns the address to connect to. Refuses the host when ANY of its
 * addresses is blocked: a name that mixes public and internal answers is an attack, not a
 * misconfiguration.
 */
export async function resolveChecked(
  hostname: string,
  resolver: Resolver,
  policy: AddressPolicy,
): Promise<ResolvedAddress> {
  const addresses = await resolver(hostname);
  const first = addresses[0];
  if (first === undefined) {
    throw new NotifierError(`${hostname} has no address`, { retriable: true });
  }
  for (const { address } of addresses) {
    const verdict = policy.check(address);
    if (!verdict.allowed) {
      const shown =
        verdict.address === hostname ? hostname : `${hostname} resolves to ${verdict.address}`;
      throw new DestinationRefusedError(`refused: ${shown}, a ${verdict.category} address`, {
        address: verdict.address,
        category: verdict.category,
      });
    }
  }
  return first;
}

export function guardedConnector(options: GuardedConnectorOptions): buildConnector.connector {
  const base = buildConnector({ timeout: options.timeoutMs });
  return (connectOptions, callback) => {
    const { hostname } = connectOptions;
    resolveChecked(hostname, options.resolver, options.policy).then(
      (checked) => {
        options.onConnect?.(hostname, checked);
        // `host` stays the original authority, so undici derives SNI from the name, not the IP.
        base({ ...connectOptions, hostname: checked.address }, callback);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
    );
  };
}
