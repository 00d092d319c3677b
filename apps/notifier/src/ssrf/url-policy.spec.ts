import { DestinationRefusedError } from '../errors.ts';
import { createAddressPolicy } from './address-policy.ts';
import { checkCallbackUrl } from './url-policy.ts';

describe('checkCallbackUrl', () => {
  const policy = createAddressPolicy();
  const strict = { allowHttp: false, policy };

  function refusal(url: string, options = strict): DestinationRefusedError {
    try {
      checkCallbackUrl(url, options);
    } catch (error) {
      if (error instanceof DestinationRefusedError) return error;
      throw error;
    }
    throw new Error(`${url} was not refused`);
  }

  it('accepts an https URL with a host name (its addresses are checked at connect)', () => {
    expect(checkCallbackUrl('https://hooks.example.com/cb?x=1', strict).origin).toBe(
      'https://hooks.example.com',
    );
  });

  it('refuses http unless allowed', () => {
    expect(refusal('http://hooks.example.com/cb').message).toMatch(/https only/);
    expect(
      checkCallbackUrl('http://hooks.example.com/cb', { allowHttp: true, policy }).protocol,
    ).toBe('http:');
  });

  it('refuses credentials in the URL', () => {
    expect(refusal('https://user:pw@hooks.example.com/').message).toMatch(/credentials/);
  });

  it.each([
    ['https://127.0.0.1/cb', 'loopback'],
    ['https://10.0.0.1/cb', 'private'],
    ['https://169.254.169.254/latest/meta-data', 'metadata'],
    ['https://[::1]/cb', 'loopback'],
    ['https://[::ffff:127.0.0.1]/cb', 'loopback'],
    ['https://0x7f.1/cb', 'loopback'], // WHATWG URL parsing turns this into 127.0.0.1
    ['https://2130706433/cb', 'loopback'],
    ['https://[fd00::1]/cb', 'private'],
  ])('refuses the IP literal in %s as %s', (url, category) => {
    expect(refusal(url).category).toBe(category);
  });
});
