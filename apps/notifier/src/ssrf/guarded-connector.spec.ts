import { DestinationRefusedError, NotifierError } from '../errors.ts';
import type { Resolver } from '../http/resolver.ts';
import { createAddressPolicy } from './address-policy.ts';
import { resolveChecked } from './guarded-connector.ts';

describe('resolveChecked', () => {
  const policy = createAddressPolicy();
  const resolver =
    (answers: Record<string, string[]>): Resolver =>
    async (host) =>
      (answers[host] ?? []).map((address) => ({
        address,
        family: address.includes(':') ? 6 : 4,
      }));

  it('returns the first address when every address is public', async () => {
    await expect(
      resolveChecked('ok.test', resolver({ 'ok.test': ['93.184.215.14', '2606:4700::1'] }), policy),
    ).resolves.toEqual({ address: '93.184.215.14', family: 4 });
  });

  it('refuses a host if any of its addresses is blocked (no cherry-picking a public one)', async () => {
    const promise = resolveChecked(
      'mixed.test',
      resolver({ 'mixed.test': ['93.184.215.14', '10.0.0.1'] }),
      policy,
    );
    await expect(promise).rejects.toThrow(DestinationRefusedError);
    await expect(promise).rejects.toThrow(
      'refused: mixed.test resolves to 10.0.0.1, a private address',
    );
  });

  it('fails retriably for a host without addresses', async () => {
    const error = await resolveChecked('none.test', resolver({}), policy).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotifierError);
    expect((error as NotifierError).retriable).toBe(true);
  });
});
