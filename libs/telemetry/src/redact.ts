/**
 * Secrets never reach a log line or a span: one redactor, used by the pino logger (every log
 * object, child binding and message) and by code that puts caller data on spans.
 *
 * Two rules:
 * - by name: the value of a field or header whose name is a credential is replaced whole, at any
 *   depth, in objects, arrays, header tuples and errors;
 * - by shape: tokens that look like credentials are replaced wherever they occur in text
 *   (`whsec_…`, `sk-ant-…`, `Bearer …`, `password=…`, URL passwords and secret query parameters).
 */

export const REDACTED = '[redacted]';

/** Deeper structures than this (levels) are cut off: log objects are never legitimately deeper. */
export const MAX_REDACTION_DEPTH = 32;

// Names are compared after lower-casing and dropping `-`, `_` and `.`, so `x-api-key`,
// `X_API_KEY` and `xApiKey` are one name.
const SECRET_NAMES = new Set([
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'authtoken',
  'xauthtoken',
  'sessiontoken',
  'bearertoken',
  'privatekey',
]);

// A name containing one of these is a secret: `webhookSecret`, `client_secret`, `SASL_PASSWORD`,
// `webhook-signature`, `x-hub-signature-256`, `stripe-signature`, `anthropic-api-key`, `apiKey`.
// Not `token` as a part: `max_tokens` and `input_tokens` are usage numbers, not credentials.
const SECRET_NAME_PARTS = ['secret', 'password', 'passwd', 'passphrase', 'signature', 'apikey'];

// Query parameter names that carry credentials only in URLs (a record's `key` is not a secret).
const SECRET_QUERY_NAMES = new Set(['sig', 'key', 'code']);

const normalize = (name: string): string => name.toLowerCase().replace(/[-_.]/g, '');

/** True when a field or header named `name` holds a credential. */
export function isSecretName(name: string): boolean {
  const n = normalize(name);
  return SECRET_NAMES.has(n) || SECRET_NAME_PARTS.some((part) => n.includes(part));
}

const SECRET_IN_TEXT = new RegExp(
  [
    // Standard Webhooks signing secret, Anthropic API key, bearer credential.
    String.raw`(?<prefix>\bwhsec_|\bsk-ant-)[A-Za-z0-9+/=_-]+`,
    String.raw`(?<bearer>\bBearer\s+)[A-Za-z0-9\-._~+/]+=*`,
    // scheme://user:password@host
    String.raw`(?<userinfo>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:]*:)[^\s/?#@]+(?=@)`,
    // ?name=value in URLs
    String.raw`(?<param>[?&;](?<paramName>[A-Za-z0-9_.-]{1,64})=)[^&#\s"'<>]+`,
    // name: value, name=value, "name":"value" (stringified headers, configs, error messages)
    String.raw`(?<kv>(?<kvName>\b[A-Za-z0-9_.-]{0,40}(?:secret|password|passwd|passphrase|signature|api[_-]?key|authorization|token)[A-Za-z0-9_.-]{0,40})["']?\s*[:=]\s*["']?)(?:(?:Bearer|Basic|Token)\s+)?[^\s"',;&}]+`,
  ].join('|'),
  'gi',
);

/** Replaces credential-looking tokens anywhere in `text`. */
function redactText(text: string): string {
  return text.replace(SECRET_IN_TEXT, (match: string, ...rest: unknown[]) => {
    const groups = rest[rest.length - 1] as Record<string, string | undefined>;
    if (groups['prefix'] !== undefined) return `${groups['prefix']}${REDACTED}`;
    if (groups['bearer'] !== undefined) return `${groups['bearer']}${REDACTED}`;
    if (groups['userinfo'] !== undefined) return `${groups['userinfo']}${REDACTED}`;
    if (groups['param'] !== undefined) {
      const name = groups['paramName'] ?? '';
      const secret = isSecretName(name) || SECRET_QUERY_NAMES.has(name.toLowerCase());
      return secret ? `${groups['param']}${REDACTED}` : match;
    }
    if (groups['kv'] !== undefined && isSecretName(groups['kvName'] ?? '')) {
      return `${groups['kv']}${REDACTED}`;
    }
    return match;
  });
}

type Ancestors = Set<object>;

const censor = (value: unknown): unknown =>
  value === undefined || value === null || value === '' ? value : REDACTED;

const isPlainObject = (value: object): boolean => {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

function walk(value: unknown, depth: number, ancestors: Ancestors): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.has(value)) return '[Circular]';
  if (depth >= MAX_REDACTION_DEPTH) return '[truncated]';
  if (value instanceof URL) return redactText(value.href);
  // Other class instances (a fastify request, a Buffer, a Date, a Map) are left to their
  // serializer or toJSON: copying one into a plain object would lose what its prototype provides.
  if (!(value instanceof Error || Array.isArray(value) || isPlainObject(value))) return value;
  ancestors.add(value);
  try {
    if (value instanceof Error) return walkError(value, depth, ancestors);
    if (Array.isArray(value)) return walkArray(value, depth, ancestors);
    return walkObject(value as Record<string, unknown>, depth, ancestors);
  } finally {
    ancestors.delete(value);
  }
}

function walkObject(
  value: Record<string, unknown>,
  depth: number,
  ancestors: Ancestors,
): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const before = value[key];
    const after = isSecretName(key) ? censor(before) : walk(before, depth + 1, ancestors);
    if (after !== before && copy === undefined) copy = { ...value };
    if (copy !== undefined) copy[key] = after;
  }
  return copy ?? value;
}

/**
 * Arrays copy on write too. Two header shapes carry the name in one element and the value in the
 * next: Node's flat `rawHeaders` (`['X-Api-Key', 'k', ...]`) and `[name, value]` tuples.
 */
function walkArray(value: unknown[], depth: number, ancestors: Ancestors): unknown[] {
  const flatPairs = value.length % 2 === 0 && value.every((v) => typeof v === 'string');
  let copy: unknown[] | undefined;
  for (let i = 0; i < value.length; i++) {
    const before = value[i];
    const previous = value[i - 1];
    const isValueOfSecretName =
      flatPairs && i % 2 === 1 && typeof previous === 'string' && isSecretName(previous);
    const after = isValueOfSecretName ? censor(before) : walk(before, depth + 1, ancestors);
    if (after !== before && copy === undefined) copy = value.slice();
    if (copy !== undefined) copy[i] = after;
  }
  return copy ?? value;
}

/**
 * An error becomes the plain shape pino would log (`type`, `message`, `stack`, own fields,
 * `cause`, aggregated `errors`), redacted: messages and stacks often quote a request.
 */
function walkError(error: Error, depth: number, ancestors: Ancestors): Record<string, unknown> {
  const shape: Record<string, unknown> = {
    type: error.name,
    message: redactText(error.message),
  };
  if (error.stack !== undefined) shape['stack'] = redactText(error.stack);
  const own = walkObject({ ...error }, depth, ancestors);
  for (const [key, v] of Object.entries(own)) if (!(key in shape)) shape[key] = v;
  if (error.cause !== undefined) shape['cause'] = walk(error.cause, depth + 1, ancestors);
  if (error instanceof AggregateError) {
    shape['errors'] = walk(error.errors as unknown[], depth + 1, ancestors);
  }
  return shape;
}

/**
 * Returns `value` without secrets: strings have credential-looking tokens replaced; plain
 * objects, arrays and errors are copied where something changes (the input is never mutated),
 * with the value of every credential-named field replaced by `[redacted]` at any depth. Errors
 * become their plain logged shape and URLs their redacted `href`. Instances of other classes are
 * returned as they are (their serializer or `toJSON` decides what gets logged).
 */
export function redactSecrets(value: string): string;
export function redactSecrets(value: unknown): unknown;
export function redactSecrets(value: unknown): unknown {
  return walk(value, 0, new Set());
}
