import type { Random } from '../random.ts';

/**
 * A small value that satisfies a JSON Schema, for `tool_use.input` and structured output: only
 * required properties, the first enum/const/union option, the lower bounds of numbers and lengths.
 * Handles what tool schemas use (types, enum, const, anyOf/oneOf/allOf, local `$ref`, formats,
 * min/max, patterns by trying candidates); anything else becomes a placeholder string.
 */
type Schema = Record<string, unknown>;

const MAX_DEPTH = 16;

const asSchema = (value: unknown): Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Schema) : {};

const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

const FORMAT_VALUES: Readonly<Record<string, string>> = {
  'date-time': '2025-01-01T00:00:00Z',
  date: '2025-01-01',
  time: '00:00:00Z',
  email: 'user@example.com',
  uri: 'https://example.com',
  url: 'https://example.com',
  hostname: 'example.com',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
  uuid: '00000000-0000-4000-8000-000000000000',
};

function resolveRef(root: Schema, ref: string): Schema {
  if (!ref.startsWith('#')) return {};
  let node: unknown = root;
  for (const raw of ref
    .slice(1)
    .split('/')
    .filter((p) => p !== '')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = asSchema(node)[part];
  }
  return asSchema(node);
}

function stringValue(schema: Schema, random: Random, words: readonly string[]): string {
  const format = typeof schema['format'] === 'string' ? FORMAT_VALUES[schema['format']] : undefined;
  const minLength = num(schema['minLength']) ?? 0;
  const maxLength = num(schema['maxLength']) ?? Infinity;
  let value = format ?? words[Math.floor(random() * words.length)] ?? 'sim';
  if (typeof schema['pattern'] === 'string') {
    const pattern = new RegExp(schema['pattern'], 'u');
    const candidate = [value, 'sim', 'a', 'A', '0', 'a0', 'sim-1', 'SIM', '00000']
      .map((c) => c.padEnd(minLength, c.charAt(0) || 'a'))
      .find((c) => pattern.test(c) && c.length <= maxLength);
    if (candidate !== undefined) return candidate;
  }
  while (value.length < minLength) value += 'x';
  return value.slice(0, Math.max(minLength, Math.min(value.length, maxLength)));
}

function numberValue(schema: Schema, integer: boolean): number {
  const exclusiveMin = num(schema['exclusiveMinimum']);
  const exclusiveMax = num(schema['exclusiveMaximum']);
  const step = integer ? 1 : 0.5;
  let low =
    num(schema['minimum']) ?? (exclusiveMin === undefined ? undefined : exclusiveMin + step);
  const high =
    num(schema['maximum']) ?? (exclusiveMax === undefined ? undefined : exclusiveMax - step);
  if (low === undefined) low = high !== undefined && high < 0 ? high : 0;
  let value = integer ? Math.ceil(low) : low;
  const multipleOf = num(schema['multipleOf']);
  if (multipleOf !== undefined && multipleOf > 0)
    value = Math.ceil(value / multipleOf) * multipleOf;
  return value;
}

function mergeAllOf(schema: Schema, root: Schema): Schema {
  const parts = Array.isArray(schema['allOf']) ? schema['allOf'].map(asSchema) : [];
  const merged: Schema = { ...schema };
  delete merged['allOf'];
  const properties: Schema = { ...asSchema(schema['properties']) };
  const required = new Set<unknown>(Array.isArray(schema['required']) ? schema['required'] : []);
  for (const raw of parts) {
    const part = typeof raw['$ref'] === 'string' ? resolveRef(root, raw['$ref']) : raw;
    Object.assign(properties, asSchema(part['properties']));
    for (const name of Array.isArray(part['required']) ? part['required'] : []) required.add(name);
    for (const [key, value] of Object.entries(part)) {
      if (key !== 'properties' && key !== 'required' && !(key in merged)) merged[key] = value;
    }
  }
  return { ...merged, properties, required: [...required] };
}

function typeOf(schema: Schema): string | undefined {
  const type = schema['type'];
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) {
    const first = type.find((t) => t !== 'null') ?? type[0];
    return typeof first === 'string' ? first : undefined;
  }
  if ('properties' in schema) return 'object';
  if ('items' in schema) return 'array';
  return undefined;
}

function valueOf(
  raw: Schema,
  root: Schema,
  random: Random,
  words: readonly string[],
  depth: number,
): unknown {
  if (depth > MAX_DEPTH) return null;
  let schema = raw;
  if (typeof schema['$ref'] === 'string') schema = resolveRef(root, schema['$ref']);
  if (Array.isArray(schema['allOf'])) schema = mergeAllOf(schema, root);
  if ('const' in schema) return schema['const'];
  if (Array.isArray(schema['enum']) && schema['enum'].length > 0) return schema['enum'][0];
  for (const key of ['anyOf', 'oneOf']) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) {
      const preferred =
        options.map(asSchema).find((o) => o['type'] !== 'null') ?? asSchema(options[0]);
      return valueOf(preferred, root, random, words, depth + 1);
    }
  }
  switch (typeOf(schema)) {
    case 'object': {
      const properties = asSchema(schema['properties']);
      const required = Array.isArray(schema['required']) ? schema['required'] : [];
      const out: Record<string, unknown> = {};
      for (const name of required) {
        if (typeof name !== 'string') continue;
        out[name] = valueOf(asSchema(properties[name]), root, random, words, depth + 1);
      }
      return out;
    }
    case 'array': {
      const count = num(schema['minItems']) ?? 0;
      const items = asSchema(schema['items']);
      return Array.from({ length: count }, () => valueOf(items, root, random, words, depth + 1));
    }
    case 'string':
      return stringValue(schema, random, words);
    case 'integer':
      return numberValue(schema, true);
    case 'number':
      return numberValue(schema, false);
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return 'sim';
  }
}

/** A value for `schema`; strings are picked from `words` with `random`. */
export function valueForSchema(schema: unknown, random: Random, words: readonly string[]): unknown {
  const root = asSchema(schema);
  return valueOf(root, root, random, words, 0);
}
