import fc from 'fast-check';
import { WebhookVerificationError, createSigner, createVerifier } from './index.ts';
import type { SchemeConfig, WebhookHeaders } from './index.ts';

// Properties over random inputs. Runs are kept modest so the unit suite stays fast (< 2 s).
const RUNS = { numRuns: 200 };

const T0 = 1_700_000_000; // unix seconds
const ms = (seconds: number) => seconds * 1000;

const CONFIGS: SchemeConfig[] = [
  { scheme: 'standard-webhooks', secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] },
  { scheme: 'github', secrets: ["It's a Secret to Everybody"] },
  { scheme: 'stripe', secrets: ['whsec_stripe'] },
  {
    scheme: 'hmac',
    secrets: ['generic'],
    header: 'x-sig',
    prefix: 'sha256=',
    encoding: 'base64',
    timestamp: { header: 'x-ts' },
  },
];

const at = (config: SchemeConfig, seconds: number): SchemeConfig => ({
  ...config,
  now: () => ms(seconds),
});

const id = fc.stringMatching(/^[a-zA-Z0-9_-]{1,64}$/);
const timestamp = fc.integer({ min: T0 - 10 ** 6, max: T0 + 10 ** 6 });

/** A different byte string: one byte flipped, or one byte appended to an empty body. */
const changed = (body: Uint8Array, index: number, mask: number): Uint8Array => {
  if (body.length === 0) return Uint8Array.of(mask);
  const copy = Uint8Array.from(body);
  const i = index % copy.length;
  copy[i] = (copy[i] ?? 0) ^ mask;
  return copy;
};

/** Every header whose value carries a signature, per scheme. */
const SIGNATURE_HEADER: Record<string, string> = {
  'standard-webhooks': 'webhook-signature',
  github: 'x-hub-signature-256',
  stripe: 'stripe-signature',
  hmac: 'x-sig',
};

const TIMESTAMP_HEADER: Record<string, string> = {
  'standard-webhooks': 'webhook-timestamp',
  hmac: 'x-ts',
};

const fails = (run: () => unknown): boolean => {
  try {
    run();
    return false;
  } catch (error) {
    if (error instanceof WebhookVerificationError) return true;
    throw error;
  }
};

describe.each(CONFIGS.map((config) => [config.scheme, config] as const))(
  '%s properties',
  (scheme, config) => {
    it('a signed message verifies', () => {
      fc.assert(
        fc.property(fc.uint8Array(), id, timestamp, (body, msgId, t) => {
          const headers = createSigner(config).sign(body, { id: msgId, timestamp: t });
          expect(createVerifier(at(config, t)).verify(body, headers).secretIndex).toBe(0);
        }),
        RUNS,
      );
    });

    it('any change to the body fails', () => {
      fc.assert(
        fc.property(
          fc.uint8Array(),
          fc.nat(),
          fc.integer({ min: 1, max: 255 }),
          (body, index, mask) => {
            const headers = createSigner(config).sign(body, { id: 'msg_1', timestamp: T0 });
            expect(
              fails(() =>
                createVerifier(at(config, T0)).verify(changed(body, index, mask), headers),
              ),
            ).toBe(true);
          },
        ),
        RUNS,
      );
    });

    it('any change to the signature fails', () => {
      const header = SIGNATURE_HEADER[scheme]!;
      fc.assert(
        fc.property(
          fc.uint8Array(),
          fc.nat(),
          fc.string({ minLength: 1, maxLength: 1 }),
          (body, index, char) => {
            const headers = createSigner(config).sign(body, { id: 'msg_1', timestamp: T0 });
            const value = headers[header]!;
            const i = index % value.length;
            fc.pre(value[i] !== char);
            const forged = { ...headers, [header]: value.slice(0, i) + char + value.slice(i + 1) };
            expect(fails(() => createVerifier(at(config, T0)).verify(body, forged))).toBe(true);
          },
        ),
        RUNS,
      );
    });

    it('random header garbage only ever throws WebhookVerificationError', () => {
      const names = fc.oneof(
        fc.constantFrom(
          'webhook-id',
          'Webhook-Timestamp',
          'WEBHOOK-SIGNATURE',
          'x-hub-signature-256',
          'Stripe-Signature',
          'x-sig',
          'X-TS',
        ),
        fc.string(),
      );
      const token = fc.constantFrom(
        't=',
        'v1=',
        'v1,',
        'v0=',
        ',',
        ' ',
        '=',
        'sha256=',
        String(T0),
        'msg_1',
        '',
      );
      const text = fc.oneof(
        fc.string(),
        fc.string({ unit: 'binary' }),
        fc.array(token).map((t) => t.join('')),
      );
      const value = fc.oneof(text, fc.array(text, { maxLength: 3 }), fc.constant(undefined));
      fc.assert(
        fc.property(fc.uint8Array(), fc.dictionary(names, value), (body, headers) => {
          try {
            createVerifier(at(config, T0)).verify(body, headers as WebhookHeaders);
          } catch (error) {
            expect(error).toBeInstanceOf(WebhookVerificationError);
          }
        }),
        RUNS,
      );
    });
  },
);

describe('changes to signed metadata', () => {
  const [standard, , stripe, generic] = CONFIGS as [
    SchemeConfig,
    SchemeConfig,
    SchemeConfig,
    SchemeConfig,
  ];

  it('any change to the Standard Webhooks id fails', () => {
    fc.assert(
      fc.property(fc.uint8Array(), id, id, (body, original, other) => {
        fc.pre(original !== other);
        const headers = createSigner(standard).sign(body, { id: original, timestamp: T0 });
        const forged = { ...headers, 'webhook-id': other };
        expect(fails(() => createVerifier(at(standard, T0)).verify(body, forged))).toBe(true);
      }),
      RUNS,
    );
  });

  it.each([
    ['standard-webhooks', standard],
    ['hmac', generic],
  ] as const)('any change to the %s timestamp fails', (scheme, config) => {
    const header = TIMESTAMP_HEADER[scheme]!;
    fc.assert(
      fc.property(fc.uint8Array(), timestamp, timestamp, (body, t, other) => {
        fc.pre(t !== other);
        const headers = createSigner(config).sign(body, { id: 'msg_1', timestamp: t });
        // The clock sits at the forged time, so only the signature can reject it.
        const forged = { ...headers, [header]: String(other) };
        expect(fails(() => createVerifier(at(config, other)).verify(body, forged))).toBe(true);
      }),
      RUNS,
    );
  });

  it('any change to the Stripe timestamp fails', () => {
    fc.assert(
      fc.property(fc.uint8Array(), timestamp, timestamp, (body, t, other) => {
        fc.pre(t !== other);
        const value = createSigner(stripe).sign(body, { timestamp: t })['stripe-signature']!;
        const forged = { 'stripe-signature': value.replace(`t=${t}`, `t=${other}`) };
        expect(fails(() => createVerifier(at(stripe, other)).verify(body, forged))).toBe(true);
      }),
      RUNS,
    );
  });
});
