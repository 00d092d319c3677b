import { createApiKeyAuthenticator } from './api-keys.ts';

describe('createApiKeyAuthenticator', () => {
  const auth = createApiKeyAuthenticator([
    { tenant: 'acme', key: 'acme-key-0123456789' },
    { tenant: 'acme', key: 'acme-key-rotated-99' },
    { tenant: 'globex', key: 'globex-key-01234567' },
  ]);

  it('maps each bearer key to its tenant, several keys per tenant', () => {
    expect(auth.tenantOf('Bearer acme-key-0123456789')).toBe('acme');
    expect(auth.tenantOf('Bearer acme-key-rotated-99')).toBe('acme');
    expect(auth.tenantOf('Bearer globex-key-01234567')).toBe('globex');
  });

  it('accepts the scheme name in any case', () => {
    expect(auth.tenantOf('bearer acme-key-0123456789')).toBe('acme');
  });

  it('rejects missing, unknown, partial and differently-schemed keys', () => {
    for (const header of [
      undefined,
      '',
      'Bearer',
      'Bearer unknown-key-0000000',
      'Bearer acme-key-012345678',
      'Bearer acme-key-0123456789x',
      'Basic acme-key-0123456789',
      'acme-key-0123456789',
      'Bearer acme-key-0123456789 extra',
    ]) {
      expect(auth.tenantOf(header)).toBeUndefined();
    }
  });
});
