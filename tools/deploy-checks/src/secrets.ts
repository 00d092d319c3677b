import { isSecretName } from '@claude-pipeline/telemetry';

/** Keys whose value names a Secret or a key inside one: references, never secret material. */
export const REFERENCE_KEYS = new Set([
  'existingSecret',
  'envFromSecret',
  'caSecret',
  'passwordKey',
  'caKey',
  'authenticationRef',
  'secrets',
]);

/** Text that is a credential whatever key holds it. */
const SECRET_TEXT = [
  /\bwhsec_[A-Za-z0-9+/=]{8,}/,
  /\bsk-ant-[A-Za-z0-9_-]{8,}/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/i,
];

export interface SecretFinding {
  path: string;
  reason: string;
}

/**
 * Secret values in a parsed values file: credential-looking text anywhere, and any non-empty
 * value under a secret-looking key (password, token, apiKey, *SECRET*...) that is not a
 * reference to a Secret. Lists of variable names under `secrets` are references.
 */
export function findSecretValues(values: unknown, path = ''): SecretFinding[] {
  const findings: SecretFinding[] = [];
  if (typeof values === 'string') {
    for (const pattern of SECRET_TEXT) {
      if (pattern.test(values))
        findings.push({ path, reason: `looks like a credential (${pattern.source})` });
    }
    return findings;
  }
  if (Array.isArray(values)) {
    values.forEach((item, i) => findings.push(...findSecretValues(item, `${path}[${i}]`)));
    return findings;
  }
  if (values !== null && typeof values === 'object') {
    for (const [key, value] of Object.entries(values)) {
      const at = path ? `${path}.${key}` : key;
      if (REFERENCE_KEYS.has(key)) {
        // Names only: still scan the text for credentials.
        findings.push(...findSecretValues(value, at).filter((f) => f.reason.startsWith('looks')));
        continue;
      }
      const secretKey = isSecretName(key) && !/_FILE$/.test(key);
      if (secretKey && value !== '' && value !== null && typeof value !== 'object') {
        findings.push({ path: at, reason: 'a secret-named key with a value' });
      }
      findings.push(...findSecretValues(value, at));
    }
  }
  return findings;
}
