import { clockOf, headerNameOf, keysOf, toleranceOf } from '../config.ts';
import type { HmacAlgorithm, HmacConfig, SignatureEncoding } from '../config.ts';
import { SigningConfigError } from '../errors.ts';
import { hmacKey } from '../secrets.ts';
import type { Clock } from '../webhook.types.ts';

// Digest sizes in bytes.
const DIGEST_BYTES: Record<HmacAlgorithm, number> = { sha1: 20, sha256: 32, sha512: 64 };

/**
 * Exactly one encoded digest of the algorithm's size, nothing else. Upper-case hex is well-formed
 * but does not match: we compare the exact text, as the providers' own libraries do.
 */
const FORMATS: Record<SignatureEncoding, (bytes: number) => RegExp> = {
  hex: (bytes) => new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`),
  base64: (bytes) => {
    const pad = (3 - (bytes % 3)) % 3;
    return new RegExp(`^[A-Za-z0-9+/]{${Math.ceil(bytes / 3) * 4 - pad}}={${pad}}$`);
  },
};

/** A generic HMAC config, checked and with its secrets parsed, once at construction. */
export interface Settings {
  keys: readonly Buffer[];
  header: string;
  prefix: string;
  encoding: SignatureEncoding;
  algorithm: HmacAlgorithm;
  timestamp: { header: string; tolerance: number } | undefined;
  now: Clock;
  /** Matches a well-formed signature (after the prefix) for this algorithm and encoding. */
  format: RegExp;
}

export function settingsOf(config: HmacConfig): Settings {
  const algorithm = config.algorithm ?? 'sha256';
  if (!Object.hasOwn(DIGEST_BYTES, algorithm)) {
    throw new SigningConfigError('algorithm must be one of sha256, sha1, sha512');
  }
  if (!Object.hasOwn(FORMATS, config.encoding)) {
    throw new SigningConfigError('encoding must be hex or base64');
  }
  if (config.prefix !== undefined && typeof config.prefix !== 'string') {
    throw new SigningConfigError('prefix must be a string');
  }
  const ts = config.timestamp;
  return {
    keys: keysOf(config.secrets, hmacKey),
    header: headerNameOf(config.header, 'header'),
    prefix: config.prefix ?? '',
    encoding: config.encoding,
    algorithm,
    timestamp:
      ts === undefined
        ? undefined
        : {
            header: headerNameOf(ts.header, 'timestamp.header'),
            tolerance: toleranceOf(ts.toleranceSeconds, 'timestamp.toleranceSeconds'),
          },
    now: clockOf(config.now),
    format: FORMATS[config.encoding](DIGEST_BYTES[algorithm]),
  };
}
