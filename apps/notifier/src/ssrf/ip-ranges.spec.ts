import { classifyAddress, embeddedIPv4, ipv6Bytes } from './ip-ranges.ts';

describe('classifyAddress', () => {
  it.each([
    // IPv4
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.254', 'cgnat'],
    ['169.254.0.1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['192.0.0.192', 'metadata'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['255.255.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    // IPv6
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fd00::1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fd00:ec2::254', 'metadata'],
    ['ff02::1', 'multicast'],
    ['ff05::1:3', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2001:0:4136:e378::1', 'reserved'], // Teredo
    ['::127.0.0.1', 'reserved'], // IPv4-compatible (deprecated)
  ])('%s is %s', (address, category) => {
    expect(classifyAddress(address).category).toBe(category);
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback', '127.0.0.1'],
    ['::ffff:7f00:1', 'loopback', '127.0.0.1'], // the form `new URL` normalises to
    ['[::ffff:127.0.0.1]', 'loopback', '127.0.0.1'],
    ['::ffff:10.0.0.1', 'private', '10.0.0.1'],
    ['::ffff:a9fe:a9fe', 'metadata', '169.254.169.254'],
    ['::ffff:100.64.1.1', 'cgnat', '100.64.1.1'],
    ['0:0:0:0:0:ffff:c0a8:0101', 'private', '192.168.1.1'],
    ['64:ff9b::10.0.0.1', 'private', '10.0.0.1'], // NAT64 of a private address
    ['64:ff9b::8.8.8.8', 'public', '8.8.8.8'], // DNS64 answer for a public host stays public
    ['2002:7f00:1::1', 'loopback', '127.0.0.1'], // 6to4 of loopback
  ])('%s carries %s IPv4 %s', (address, category, v4) => {
    const c = classifyAddress(address);
    expect(c.category).toBe(category);
    expect(c.embeddedIPv4).toBe(v4);
  });

  it.each(['93.184.215.14', '8.8.8.8', '1.1.1.1', '100.63.255.255', '100.128.0.0', '172.32.0.1'])(
    'public IPv4 %s passes',
    (address) => expect(classifyAddress(address).category).toBe('public'),
  );

  it.each(['2606:4700:4700::1111', '2a00:1450:4001:82a::200e', '2001:4860:4860::8888'])(
    'public IPv6 %s passes',
    (address) => expect(classifyAddress(address).category).toBe('public'),
  );

  it('throws on something that is not an IP address', () => {
    expect(() => classifyAddress('example.com')).toThrow(TypeError);
    expect(() => classifyAddress('127.1')).toThrow(TypeError);
  });
});

describe('ipv6Bytes and embeddedIPv4', () => {
  it('expands :: and a dotted tail', () => {
    expect(Array.from(ipv6Bytes('::ffff:1.2.3.4') ?? [])).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4,
    ]);
    expect(Array.from(ipv6Bytes('2001:db8::1') ?? []).slice(0, 4)).toEqual([
      0x20, 0x01, 0x0d, 0xb8,
    ]);
    expect(ipv6Bytes('10.0.0.1')).toBeUndefined();
  });

  it('finds no IPv4 address in a plain IPv6 address', () => {
    expect(embeddedIPv4('2606:4700:4700::1111')).toBeUndefined();
    expect(embeddedIPv4('::1')).toBeUndefined();
  });
});
