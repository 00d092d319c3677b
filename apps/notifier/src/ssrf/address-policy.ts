import { BlockList, isIP } from 'node:net';
import { NotifierConfigError, type BlockedCategory } from '../errors.ts';
import { classifyAddress, type Classified } from './ip-ranges.ts';

/**
 * The decision for one resolved address: public addresses pass; blocked categories pass only
 * when an allow-listed CIDR covers them (the local stack and tests allow loopback this way);
 * cloud metadata never passes.
 */
export type AddressVerdict =
  | { allowed: true; address: string; category: Classified['category'] }
  | { allowed: false; address: string; category: BlockedCategory };

export interface AddressPolicy {
  check(address: string): AddressVerdict;
  /** The allow-list as configured, for logs. */
  readonly allowCidrs: readonly string[];
}

export interface Cidr {
  network: string;
  prefix: number;
  family: 4 | 6;
}

/** Parses `10.0.0.0/8`, `::1/128` or a bare address (a host route). Throws a TypeError. */
export function parseCidr(text: string): Cidr {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const network = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const family = isIP(network);
  if (family !== 4 && family !== 6) throw new TypeError(`"${trimmed}" is not an IP network`);
  const max = family === 4 ? 32 : 128;
  const prefixText = slash === -1 ? String(max) : trimmed.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > max) {
    throw new TypeError(`"${trimmed}": prefix length must be 0..${max}`);
  }
  return { network, prefix, family };
}

export function createAddressPolicy(
  options: { allowCidrs?: readonly string[] } = {},
): AddressPolicy {
  const allowCidrs = options.allowCidrs ?? [];
  const allow = new BlockList();
  for (const text of allowCidrs) {
    let cidr: Cidr;
    try {
      cidr = parseCidr(text);
    } catch (error) {
      throw new NotifierConfigError(`allow-list: ${(error as Error).message}`);
    }
    allow.addSubnet(cidr.network, cidr.prefix, cidr.family === 4 ? 'ipv4' : 'ipv6');
  }
  const allowed = (c: Classified): boolean => {
    // BlockList matches IPv4-mapped IPv6 against IPv4 rules itself; NAT64/6to4 forms are
    // matched by the IPv4 address they carry.
    if (allow.check(c.address, c.family === 4 ? 'ipv4' : 'ipv6')) return true;
    return c.embeddedIPv4 !== undefined && allow.check(c.embeddedIPv4, 'ipv4');
  };
  return {
    allowCidrs,
    check(address) {
      const c = classifyAddress(address);
      if (c.category === 'public') return { allowed: true, address: c.address, category: 'public' };
      if (c.category !== 'metadata' && allowed(c)) {
        return { allowed: true, address: c.address, category: c.category };
      }
      return { allowed: false, address: c.address, category: c.category };
    },
  };
}
