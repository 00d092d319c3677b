import { BlockList, isIP } from 'node:net';
import type { BlockedCategory } from '../errors.ts';

/**
 * Which addresses a callback may never reach unless allowed by config: everything that is not
 * the public internet. IPv6 addresses that carry an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`,
 * NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by the IPv4 address they carry, so
 * `[::ffff:127.0.0.1]` is loopback and a DNS64 answer for a public host stays public.
 * Sources: IANA IPv4/IPv6 special-purpose address registries (RFC 6890 and successors).
 */
export type AddressClass = BlockedCategory | 'public';

export interface Classified {
  /** The address as given (zone id removed). */
  address: string;
  family: 4 | 6;
  category: AddressClass;
  /** The IPv4 address judged instead, for IPv6 forms that carry one. */
  embeddedIPv4?: string;
}

/** Cloud metadata endpoints: never reachable, whatever the allow-list says. */
export const METADATA_ADDRESSES: readonly string[] = [
  '169.254.169.254', // AWS, GCP, Azure, OpenStack, DigitalOcean instance metadata
  '169.254.170.2', // AWS ECS task metadata
  '169.254.169.253', // AWS VPC DNS
  '100.100.100.200', // Alibaba Cloud
  '192.0.0.192', // Oracle Cloud
  '168.63.129.16', // Azure wireserver
  'fd00:ec2::254', // AWS IMDS over IPv6
];

type Range = readonly [network: string, prefix: number];

const IPV4_RANGES: readonly (readonly [BlockedCategory, readonly Range[]])[] = [
  ['unspecified', [['0.0.0.0', 8]]], // "this network"; 0.0.0.0 reaches localhost on Linux
  ['loopback', [['127.0.0.0', 8]]],
  [
    'private',
    [
      ['10.0.0.0', 8],
      ['172.16.0.0', 12],
      ['192.168.0.0', 16],
    ],
  ],
  ['cgnat', [['100.64.0.0', 10]]],
  ['link-local', [['169.254.0.0', 16]]],
  ['multicast', [['224.0.0.0', 4]]],
  [
    'reserved',
    [
      ['192.0.0.0', 24], // IETF protocol assignments
      ['192.0.2.0', 24], // documentation
      ['198.51.100.0', 24], // documentation
      ['203.0.113.0', 24], // documentation
      ['198.18.0.0', 15], // benchmarking
      ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
      ['240.0.0.0', 4], // reserved, and 255.255.255.255 broadcast
    ],
  ],
];

const IPV6_RANGES: readonly (readonly [BlockedCategory, readonly Range[]])[] = [
  ['unspecified', [['::', 128]]],
  ['loopback', [['::1', 128]]],
  [
    'private',
    [
      ['fc00::', 7], // unique local (fd00::/8 included)
      ['fec0::', 10], // site-local (deprecated)
      ['64:ff9b:1::', 48], // local-use NAT64
    ],
  ],
  ['link-local', [['fe80::', 10]]],
  ['multicast', [['ff00::', 8]]],
  [
    'reserved',
    [
      ['::', 96], // IPv4-compatible (deprecated); :: and ::1 are matched above
      ['100::', 64], // discard-only
      ['2001::', 32], // Teredo: an obfuscated IPv4 address
      ['2001:db8::', 32], // documentation
      ['2001:2::', 48], // benchmarking
      ['3fff::', 20], // documentation
      ['5f00::', 16], // segment routing SIDs
    ],
  ],
];

function blockList(family: 'ipv4' | 'ipv6', ranges: readonly Range[]): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of ranges) list.addSubnet(network, prefix, family);
  return list;
}

const IPV4_LISTS = IPV4_RANGES.map(([category, ranges]) => ({
  category,
  list: blockList('ipv4', ranges),
}));
const IPV6_LISTS = IPV6_RANGES.map(([category, ranges]) => ({
  category,
  list: blockList('ipv6', ranges),
}));
const METADATA = new Set(METADATA_ADDRESSES.map((a) => canonicalIPv6OrSelf(a)));

/** Strips an IPv6 zone id (`fe80::1%eth0`) and URL brackets (`[::1]`). */
export function bareAddress(address: string): string {
  const unbracketed =
    address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const zone = unbracketed.indexOf('%');
  return zone === -1 ? unbracketed : unbracketed.slice(0, zone);
}

/**
 * The 16 bytes of an IPv6 address in text form (`::` shorthand and a trailing dotted IPv4
 * allowed), or undefined if it is not one.
 */
export function ipv6Bytes(text: string): Uint8Array | undefined {
  if (isIP(text) !== 6) return undefined;
  let head = text;
  const tailBytes: number[] = [];
  const lastColon = head.lastIndexOf(':');
  const lastPart = head.slice(lastColon + 1);
  if (lastPart.includes('.')) {
    tailBytes.push(...lastPart.split('.').map(Number));
    head = head.slice(0, lastColon + 1) + '0:0';
  }
  const [left = '', right] = head.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const leftGroups = groups(left);
  const rightGroups = right === undefined ? [] : groups(right);
  const missing = 8 - leftGroups.length - rightGroups.length;
  const all = [
    ...leftGroups,
    ...Array<string>(right === undefined ? 0 : missing).fill('0'),
    ...rightGroups,
  ];
  if (all.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    const value = parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  if (tailBytes.length === 4) bytes.set(tailBytes, 12);
  return bytes;
}

function canonicalIPv6OrSelf(address: string): string {
  const bytes = ipv6Bytes(address);
  if (!bytes) return address;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}

const ipv4At = (bytes: Uint8Array, offset: number): string =>
  Array.from(bytes.subarray(offset, offset + 4)).join('.');

const startsWith = (bytes: Uint8Array, prefix: readonly number[]): boolean =>
  prefix.every((b, i) => bytes[i] === b);

/** The IPv4 address an IPv6 address carries (mapped, NAT64, 6to4), if any. */
export function embeddedIPv4(address: string): string | undefined {
  const bytes = ipv6Bytes(address);
  if (!bytes) return undefined;
  // ::ffff:a.b.c.d (IPv4-mapped)
  if (startsWith(bytes, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff])) return ipv4At(bytes, 12);
  // 64:ff9b::a.b.c.d (NAT64 well-known prefix, RFC 6052)
  if (startsWith(bytes, [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0])) return ipv4At(bytes, 12);
  // 2002:AABB:CCDD::/48 (6to4)
  if (startsWith(bytes, [0x20, 0x02])) return ipv4At(bytes, 2);
  return undefined;
}

function classifyIPv4(address: string): AddressClass {
  if (METADATA.has(address)) return 'metadata';
  for (const { category, list } of IPV4_LISTS) if (list.check(address, 'ipv4')) return category;
  return 'public';
}

/**
 * Classifies an IP address (IPv4 or IPv6 text, brackets and zone id allowed). Throws a
 * TypeError for anything that is not an IP address.
 */
export function classifyAddress(input: string): Classified {
  const address = bareAddress(input);
  const family = isIP(address);
  if (family === 4) return { address, family, category: classifyIPv4(address) };
  if (family !== 6) throw new TypeError(`not an IP address: ${JSON.stringify(input)}`);
  const v4 = embeddedIPv4(address);
  if (v4 !== undefined) return { address, family, category: classifyIPv4(v4), embeddedIPv4: v4 };
  if (METADATA.has(canonicalIPv6OrSelf(address))) return { address, family, category: 'metadata' };
  for (const { category, list } of IPV6_LISTS) {
    if (list.check(address, 'ipv6')) return { address, family, category };
  }
  return { address, family, category: 'public' };
}
