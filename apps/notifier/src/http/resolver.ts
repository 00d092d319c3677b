import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * Name resolution as a port: the SSRF guard checks exactly the addresses this returns and the
 * connection goes to one of them, so DNS is asked once per connection (no check-then-lookup
 * race, no DNS rebinding between the two). Tests inject a fake that maps names to addresses.
 */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** The system resolver (getaddrinfo, as every other program on the host sees names). */
export const systemResolver: Resolver = async (hostname) => {
  const literal = isIP(hostname);
  if (literal === 4 || literal === 6) return [{ address: hostname, family: literal }];
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

/** Wraps a resolver so IP literals never reach it (a fake or real resolver sees names only). */
export function withLiterals(resolver: Resolver): Resolver {
  return async (hostname) => {
    const literal = isIP(hostname);
    if (literal === 4 || literal === 6) return [{ address: hostname, family: literal }];
    return resolver(hostname);
  };
}
