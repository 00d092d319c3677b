import { NotifierConfigError } from '../errors.ts';
import { createAddressPolicy, parseCidr } from './address-policy.ts';

describe('address policy', () => {
  it('refuses every non-public category by default', () => {
    const policy = createAddressPolicy();
    for (const address of [
      '127.0.0.1',
      '10.0.0.1',
      '169.254.169.254',
      '::1',
      '::ffff:127.0.0.1',
      '100.64.0.1',
    ]) {
      expect(policy.check(address).allowed).toBe(false);
    }
    expect(policy.check('93.184.215.14')).toEqual({
      allowed: true,
      address: '93.184.215.14',
      category: 'public',
    });
  });

  it('names the category of a refused address', () => {
    expect(createAddressPolicy().check('::ffff:7f00:1')).toEqual({
      allowed: false,
      address: '::ffff:7f00:1',
      category: 'loopback',
    });
  });

  it('lets an allow-listed CIDR through, IPv4-mapped forms included', () => {
    const policy = createAddressPolicy({ allowCidrs: ['127.0.0.0/8', '::1/128'] });
    expect(policy.check('127.0.0.1').allowed).toBe(true);
    expect(policy.check('::1').allowed).toBe(true);
    expect(policy.check('::ffff:127.0.0.1').allowed).toBe(true);
    expect(policy.check('10.0.0.1').allowed).toBe(false);
  });

  it('never lets a cloud metadata address through, whatever the allow-list', () => {
    const policy = createAddressPolicy({ allowCidrs: ['169.254.0.0/16', '100.64.0.0/10'] });
    expect(policy.check('169.254.1.1').allowed).toBe(true);
    expect(policy.check('169.254.169.254')).toMatchObject({ allowed: false, category: 'metadata' });
    expect(policy.check('100.100.100.200')).toMatchObject({ allowed: false, category: 'metadata' });
  });

  it('rejects a malformed allow-list at construction', () => {
    expect(() => createAddressPolicy({ allowCidrs: ['10.0.0.0/33'] })).toThrow(NotifierConfigError);
    expect(() => createAddressPolicy({ allowCidrs: ['localhost'] })).toThrow(NotifierConfigError);
  });

  it('parses CIDRs and bare addresses', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ network: '10.0.0.0', prefix: 8, family: 4 });
    expect(parseCidr(' ::1 ')).toEqual({ network: '::1', prefix: 128, family: 6 });
    expect(() => parseCidr('fd00::/129')).toThrow('prefix length must be 0..128');
  });
});
