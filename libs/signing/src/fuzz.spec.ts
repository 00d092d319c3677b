import fc from 'fast-check';
import { readHeader, requireHeader } from './headers.ts';
import {
  SigningConfigError,
  WebhookVerificationError,
  createSigner,
  createVerifier,
  type SchemeConfig,
  type WebhookHeaders,
} from './index.ts';
import { checkFreshness, parseUnixSeconds } from './timestamp.ts';

// Fuzzing of the parsers and of sign → verify with arbitrary secrets (issue 11, "Hostile input").
// signing.properties.spec.ts covers fixed secrets; here the secrets, ids, header values and bit
// positions are arbitrary too. Unit tier: no I/O, modest runs so the suite stays fast.
const RUNS = { numRuns: 100 };

const T0 = 1_700_000_000;

/** Every scheme, keyed by a label, with its signature and timestamp headers. */
interface Scheme {
  label: string;
  config: (secrets: SchemeConfig['secrets'], nowSeconds: number) => SchemeConfig;
  signature: string;
  /** Where the signature's digest sits in the header value, and how it is encoded. */
  digest: (value: string) => { before: string; encoded: string; after: string };
  encoding: 'hex' | 'base64';
  timestamp?: string;
  /** Secrets the scheme accepts. */
  secret: fc.Arbitrary<string | Uint8Array>;
  /** The key bytes a secret stands for (two spellings of one key are the same secret). */
  key: (secret: string | Uint8Array) => Buffer;
}

const textKey = (secret: string | Uint8Array): Buffer =>
  typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
const whsecKey = (secret: string | Uint8Array): Buffer =>
  typeof secret === 'string'
    ? Buffer.from(secret.slice('whsec_'.length), 'base64')
    : Buffer.from(secret);

const at = (seconds: number) => () => seconds * 1000;

const textSecret = fc.oneof(
  fc.string({ minLength: 1, maxLength: 64 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 32 }),
  fc.uint8Array({ minLength: 1, maxLength: 64 }),
);
const whsecSecret = fc.oneof(
  fc
    .uint8Array({ minLength: 1, maxLength: 64 })
    .map((k) => `whsec_${Buffer.from(k).toString('base64')}`),
  fc.uint8Array({ minLength: 1, maxLength: 64 }),
);

const prefixed = (prefix: string) => (value: string) => ({
  before: prefix,
  encoded: value.slice(prefix.length),
  after: '',
});

const SCHEMES: Scheme[] = [
  {
    label: 'standard-webhooks',
    config: (secrets, now) => ({ scheme: 'standard-webhooks', secrets, now: at(now) }),
    signature: 'webhook-signature',
    // `v1,<b64>` (one per secret, space-separated): the first entry's digest.
    digest: (value) => {
      const space = value.indexOf(' ');
      const first = space < 0 ? value : value.slice(0, space);
      return { before: 'v1,', encoded: first.slice(3), after: space < 0 ? '' : value.slice(space) };
    },
    encoding: 'base64',
    timestamp: 'webhook-timestamp',
    secret: whsecSecret,
    key: whsecKey,
  },
  {
    label: 'github',
    config: (secrets, now) => ({ scheme: 'github', secrets, now: at(now) }),
    signature: 'x-hub-signature-256',
    digest: prefixed('sha256='),
    encoding: 'hex',
    secret: textSecret,
    key: textKey,
  },
  {
    label: 'stripe',
    config: (secrets, now) => ({ scheme: 'stripe', secrets, now: at(now) }),
    signature: 'stripe-signature',
    // `t=<ts>,v1=<hex>[,v1=...]`: the first v1 digest.
    digest: (value) => {
      const start = value.indexOf(',v1=') + 4;
      const end = value.indexOf(',', start);
      return {
        before: value.slice(0, start),
        encoded: value.slice(start, end < 0 ? undefined : end),
        after: end < 0 ? '' : value.slice(end),
      };
    },
    encoding: 'hex',
    secret: textSecret,
    key: textKey,
  },
  {
    label: 'hmac (base64, signed timestamp)',
    config: (secrets, now) => ({
      scheme: 'hmac',
      secrets,
      header: 'x-sig',
      prefix: 'sha256=',
      encoding: 'base64',
      timestamp: { header: 'x-ts' },
      now: at(now),
    }),
    signature: 'x-sig',
    digest: prefixed('sha256='),
    encoding: 'base64',
    timestamp: 'x-ts',
    secret: textSecret,
    key: textKey,
  },
  {
    label: 'hmac (hex sha512, body only)',
    config: (secrets, now) => ({
      scheme: 'hmac',
      secrets,
      header: 'x-body-sig',
      encoding: 'hex',
      algorithm: 'sha512',
      now: at(now),
    }),
    signature: 'x-body-sig',
    digest: prefixed(''),
    encoding: 'hex',
    secret: textSecret,
    key: textKey,
  },
];

const messageId = fc.stringMatching(/^[\x21-\x7e]{1,80}$/);
const timestamp = fc.integer({ min: 0, max: 4_000_000_000 });
const body = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }),
  fc.string({ unit: 'grapheme', maxLength: 512 }),
);
const bytesOf = (value: Uint8Array | string): Uint8Array =>
  typeof value === 'string' ? Buffer.from(value, 'utf8') : value;

/** Runs `verify`; returns the failure reason, or 'ok'. Any other error fails the property. */
function outcome(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.reason;
    throw error;
  }
}

/** Header values as an attacker can shape them: text, binary, lists, very long, separators. */
const hostileValue: fc.Arbitrary<string | string[] | undefined> = (() => {
  const token = fc.constantFrom(
    't=',
    'v1=',
    'v1,',
    'v1a,',
    'sha256=',
    'sha1=',
    ',',
    ' ',
    '=',
    '\t',
    '\u0000',
    '\ud800',
    '١٢٣',
    '9'.repeat(20),
    String(T0),
    '-1',
    '1e9',
    '0x10',
  );
  const text = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.string({ unit: 'grapheme' }),
    fc.array(token, { maxLength: 12 }).map((t) => t.join('')),
    fc.nat({ max: 20_000 }).map((n) => 'a'.repeat(n)),
  );
  return fc.oneof(text, fc.array(text, { maxLength: 3 }), fc.constant(undefined));
})();

describe.each(SCHEMES.map((s) => [s.label, s] as const))('%s fuzzing', (_label, scheme) => {
  it('arbitrary header values and bodies only ever fail with WebhookVerificationError', () => {
    const names = [scheme.signature, scheme.timestamp ?? 'x-ts', 'webhook-id', 'webhook-timestamp'];
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 256 }),
        fc.tuple(...names.map(() => hostileValue)),
        fc.constantFrom('lower', 'upper', 'both'),
        (raw, values, casing) => {
          const headers: Record<string, string | string[] | undefined> = {};
          names.forEach((name, i) => {
            if (casing !== 'upper') headers[name] = values[i];
            if (casing !== 'lower') headers[name.toUpperCase()] = values[i];
          });
          const verifier = createVerifier(
            scheme.config(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], T0),
          );
          expect(outcome(() => verifier.verify(raw, headers as WebhookHeaders))).not.toBe('ok');
        },
      ),
      RUNS,
    );
  });

  it('sign → verify round-trips for arbitrary bodies, secrets, ids and times (rotation index kept)', () => {
    fc.assert(
      fc.property(
        body,
        fc.array(scheme.secret, { minLength: 1, maxLength: 3 }),
        fc.nat(),
        messageId,
        timestamp,
        (content, secrets, pick, id, t) => {
          const index = pick % secrets.length;
          const signer = createSigner(scheme.config([secrets[index]!], t));
          const headers = signer.sign(content, { id, timestamp: t });
          const verified = createVerifier(scheme.config(secrets, t)).verify(
            bytesOf(content),
            headers,
          );
          // Equal secrets in the list: the first equal one matches.
          const key = scheme.key(secrets[index]!);
          const first = secrets.findIndex((s) => scheme.key(s).equals(key));
          expect(verified.secretIndex).toBe(first);
          if (scheme.timestamp !== undefined || scheme.label === 'stripe') {
            expect(verified.timestamp).toBe(t);
          }
        },
      ),
      RUNS,
    );
  });

  it('a single flipped bit of the body fails with bad_signature', () => {
    fc.assert(
      fc.property(body, scheme.secret, fc.nat(), fc.nat({ max: 7 }), (content, secret, at, bit) => {
        const bytes = Uint8Array.from(bytesOf(content));
        fc.pre(bytes.length > 0);
        const headers = createSigner(scheme.config([secret], T0)).sign(bytes, {
          id: 'msg_1',
          timestamp: T0,
        });
        const i = at % bytes.length;
        bytes[i] = (bytes[i] ?? 0) ^ (1 << bit);
        expect(
          outcome(() => createVerifier(scheme.config([secret], T0)).verify(bytes, headers)),
        ).toBe('bad_signature');
      }),
      RUNS,
    );
  });

  it('a single flipped bit of the signature fails with bad_signature', () => {
    fc.assert(
      fc.property(body, scheme.secret, fc.nat(), fc.nat({ max: 7 }), (content, secret, at, bit) => {
        const headers = createSigner(scheme.config([secret], T0)).sign(content, {
          id: 'msg_1',
          timestamp: T0,
        });
        const { before, encoded, after } = scheme.digest(headers[scheme.signature]!);
        const digest = Buffer.from(encoded, scheme.encoding);
        expect(digest.length).toBeGreaterThanOrEqual(32);
        const i = at % digest.length;
        digest[i] = (digest[i] ?? 0) ^ (1 << bit);
        const forged = {
          ...headers,
          [scheme.signature]: before + digest.toString(scheme.encoding) + after,
        };
        expect(
          outcome(() =>
            createVerifier(scheme.config([secret], T0)).verify(bytesOf(content), forged),
          ),
        ).toBe('bad_signature');
      }),
      RUNS,
    );
  });

  if (scheme.timestamp !== undefined || scheme.label === 'stripe') {
    it('a single flipped bit of the signed timestamp fails with bad_signature (even when fresh)', () => {
      fc.assert(
        fc.property(
          body,
          scheme.secret,
          timestamp,
          fc.nat({ max: 31 }),
          (content, secret, t, bit) => {
            const flipped = (t ^ (1 << bit)) >>> 0;
            fc.pre(flipped !== t);
            const headers = createSigner(scheme.config([secret], t)).sign(content, {
              id: 'msg_1',
              timestamp: t,
            });
            const changed =
              scheme.label === 'stripe'
                ? {
                    ...headers,
                    'stripe-signature': headers['stripe-signature']!.replace(
                      `t=${t},`,
                      `t=${flipped},`,
                    ),
                  }
                : { ...headers, [scheme.timestamp!]: String(flipped) };
            // The verifier's clock is the flipped time: freshness cannot be the reason.
            const verifier = createVerifier(scheme.config([secret], flipped));
            expect(outcome(() => verifier.verify(bytesOf(content), changed))).toBe('bad_signature');
          },
        ),
        RUNS,
      );
    });
  }

  it('a non-byte body is a TypeError (a programming error), never a verification result', () => {
    const verifier = createVerifier(scheme.config(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], T0));
    for (const raw of ['{}', { a: 1 }, null, undefined, 42, [1, 2]]) {
      expect(() => verifier.verify(raw as unknown as Uint8Array, {})).toThrow(TypeError);
    }
  });
});

describe('header and timestamp parsers', () => {
  const headerMap = fc.dictionary(
    fc.oneof(fc.string(), fc.constantFrom('x-sig', 'X-Sig', 'X-SIG')),
    hostileValue,
  );

  it('readHeader and requireHeader return a string or throw WebhookVerificationError', () => {
    fc.assert(
      fc.property(headerMap, (headers) => {
        for (const read of [readHeader, requireHeader]) {
          try {
            const value = read(headers, 'x-sig');
            expect(value === undefined || typeof value === 'string').toBe(true);
          } catch (error) {
            expect(error).toBeInstanceOf(WebhookVerificationError);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a header sent under two spellings is malformed, whatever the values', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(outcome(() => readHeader({ 'x-sig': a, 'X-Sig': b }, 'x-sig'))).toBe(
          'malformed_header',
        );
      }),
      RUNS,
    );
  });

  it('parseUnixSeconds accepts exactly 1-15 ASCII digits', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9]{0,20}$/)), (text) => {
        const valid = /^[0-9]{1,15}$/.test(text);
        const result = outcome(() => parseUnixSeconds(text, 'x-ts'));
        expect(result).toBe(valid ? 'ok' : 'malformed_header');
        if (valid) expect(parseUnixSeconds(text, 'x-ts')).toBe(Number(text));
      }),
      { numRuns: 200 },
    );
  });

  it('checkFreshness rejects exactly the times outside the tolerance, by direction', () => {
    fc.assert(
      fc.property(
        timestamp,
        fc.integer({ min: -10_000, max: 10_000 }),
        fc.nat({ max: 3600 }),
        (t, skew, tol) => {
          const result = outcome(() => checkFreshness(t, (t + skew) * 1000, tol, 'x-ts'));
          expect(result).toBe(
            skew > tol ? 'timestamp_too_old' : -skew > tol ? 'timestamp_too_new' : 'ok',
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('arbitrary configs either build or throw SigningConfigError', () => {
    const anything = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.constant(undefined),
      fc.constant(null),
      fc.uint8Array(),
    );
    fc.assert(
      fc.property(
        fc.constantFrom('standard-webhooks', 'github', 'stripe', 'hmac', 'nope'),
        fc.oneof(fc.array(anything, { maxLength: 3 }), anything),
        anything,
        fc.oneof(fc.constantFrom('hex', 'base64'), anything),
        fc.oneof(fc.double(), anything),
        (scheme, secrets, header, encoding, tolerance) => {
          const config = {
            scheme,
            secrets,
            header,
            encoding,
            toleranceSeconds: tolerance,
          } as unknown as SchemeConfig;
          for (const build of [createVerifier, createSigner]) {
            try {
              build(config);
            } catch (error) {
              expect(error).toBeInstanceOf(SigningConfigError);
            }
          }
        },
      ),
      RUNS,
    );
  });
});
