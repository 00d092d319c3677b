import type { JsonObject, JsonValue } from './json-schema.ts';

/**
 * A structural check of two JSON Schemas of one contract version: does every record valid under
 * `before` stay valid under `after`, and does every field a consumer of `before` reads keep its
 * meaning? A topic holds records of both versions during a rolling deploy and for its whole
 * retention, so both directions matter. Breaking:
 *   - a property removed, or required turned optional (consumers read it);
 *   - a property newly required (old records lack it);
 *   - a type, `const` or `format` changed; an enum value removed; an enum introduced;
 *   - a bound narrowed (min up, max down, pattern changed), `additionalProperties: false` added;
 *   - a union variant removed.
 * Not breaking: a new optional property, a new enum value or union variant (readers must
 * tolerate those, see README), a bound widened, a description changed.
 */

export interface BreakingChange {
  /** JSON Pointer-like path into the schema's instance (`/data/result/status`). */
  readonly path: string;
  readonly change: string;
}

type Schema = JsonObject;

const isObject = (value: JsonValue | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const asSchema = (value: JsonValue | undefined): Schema => (isObject(value) ? value : {});

const LOWER_BOUNDS = [
  'minimum',
  'exclusiveMinimum',
  'minLength',
  'minItems',
  'minProperties',
] as const;
const UPPER_BOUNDS = [
  'maximum',
  'exclusiveMaximum',
  'maxLength',
  'maxItems',
  'maxProperties',
] as const;

interface Context {
  readonly beforeRoot: Schema;
  readonly afterRoot: Schema;
  readonly out: BreakingChange[];
}

function resolve(schema: Schema, root: Schema): Schema {
  let current = schema;
  for (let hops = 0; typeof current.$ref === 'string' && hops < 32; hops += 1) {
    const target = current.$ref;
    if (!target.startsWith('#/')) return current;
    let node: JsonValue | undefined = root;
    for (const token of target.slice(2).split('/')) {
      node = isObject(node) ? node[token.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined;
    }
    current = asSchema(node);
  }
  return current;
}

function typesOf(schema: Schema): string[] {
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type)) return schema.type.map(String).sort();
  return [];
}

const variantsOf = (schema: Schema): Schema[] | undefined => {
  const union = schema.oneOf ?? schema.anyOf;
  return Array.isArray(union) ? union.map(asSchema) : undefined;
};

const constOf = (variant: Schema, property: string): string =>
  JSON.stringify(asSchema(asSchema(variant.properties)[property]).const);

/**
 * The property whose `const` tells union variants apart: every variant has one, and no two
 * variants share a value (so `schema_version`, constant everywhere, never qualifies). A single
 * object with a `const` property counts too, so it can be matched against a later union.
 */
function discriminatorOf(variants: readonly Schema[]): string | undefined {
  const first = variants[0];
  if (first === undefined) return undefined;
  for (const name of Object.keys(asSchema(first.properties))) {
    if (!variants.every((v) => asSchema(asSchema(v.properties)[name]).const !== undefined))
      continue;
    if (new Set(variants.map((v) => constOf(v, name))).size === variants.length) return name;
  }
  return undefined;
}

function compareVariants(before: Schema[], after: Schema[], path: string, ctx: Context): void {
  const discriminator = discriminatorOf(before);
  for (const [index, variant] of before.entries()) {
    if (discriminator !== undefined) {
      const tag = `${discriminator}=${constOf(variant, discriminator)}`;
      const match = after.find(
        (candidate) => constOf(candidate, discriminator) === constOf(variant, discriminator),
      );
      if (match === undefined) {
        ctx.out.push({ path: path || '/', change: `union variant ${tag} removed` });
      } else {
        compareSchemas(variant, match, `${path}{${tag}}`, ctx);
      }
      continue;
    }
    // No discriminator: the variant survives if some variant of `after` accepts all it did.
    let best: BreakingChange[] | undefined;
    for (const candidate of after) {
      const changes: BreakingChange[] = [];
      compareSchemas(variant, candidate, path, { ...ctx, out: changes });
      if (best === undefined || changes.length < best.length) best = changes;
      if (changes.length === 0) break;
    }
    if (best === undefined) ctx.out.push({ path, change: `union variant ${index} removed` });
    else ctx.out.push(...best);
  }
}

function compareSchemas(beforeRaw: Schema, afterRaw: Schema, path: string, ctx: Context): void {
  const before = resolve(beforeRaw, ctx.beforeRoot);
  const after = resolve(afterRaw, ctx.afterRoot);
  const at = path || '/';

  const beforeVariants = variantsOf(before);
  const afterVariants = variantsOf(after);
  if (beforeVariants !== undefined || afterVariants !== undefined) {
    compareVariants(beforeVariants ?? [before], afterVariants ?? [after], path, ctx);
    return;
  }

  const beforeTypes = typesOf(before);
  const afterTypes = typesOf(after);
  if (beforeTypes.join() !== afterTypes.join()) {
    ctx.out.push({
      path: at,
      change: `type changed from ${beforeTypes.join('|') || 'any'} to ${afterTypes.join('|') || 'any'}`,
    });
    return;
  }
  if (JSON.stringify(before.const) !== JSON.stringify(after.const)) {
    ctx.out.push({
      path: at,
      change: `const changed from ${JSON.stringify(before.const)} to ${JSON.stringify(after.const)}`,
    });
  }
  if (Array.isArray(after.enum)) {
    if (!Array.isArray(before.enum)) {
      ctx.out.push({ path: at, change: 'now restricted to an enum' });
    } else {
      const kept = new Set(after.enum.map((value) => JSON.stringify(value)));
      for (const value of before.enum) {
        if (!kept.has(JSON.stringify(value)))
          ctx.out.push({ path: at, change: `enum value ${JSON.stringify(value)} removed` });
      }
    }
  }
  if (before.format !== after.format && after.format !== undefined) {
    ctx.out.push({
      path: at,
      change: `format changed from ${String(before.format)} to ${String(after.format)}`,
    });
  }
  if (before.pattern !== after.pattern && after.pattern !== undefined) {
    ctx.out.push({
      path: at,
      change: `pattern changed from ${String(before.pattern)} to ${String(after.pattern)}`,
    });
  }
  for (const bound of LOWER_BOUNDS) {
    const [b, a] = [before[bound], after[bound]];
    if (typeof a === 'number' && (typeof b !== 'number' || a > b)) {
      ctx.out.push({ path: at, change: `${bound} raised from ${String(b)} to ${a}` });
    }
  }
  for (const bound of UPPER_BOUNDS) {
    const [b, a] = [before[bound], after[bound]];
    if (typeof a === 'number' && (typeof b !== 'number' || a < b)) {
      ctx.out.push({ path: at, change: `${bound} lowered from ${String(b)} to ${a}` });
    }
  }

  if (isObject(before.properties) || isObject(after.properties) || beforeTypes.includes('object')) {
    compareObjects(before, after, path, ctx);
  }
  if (isObject(before.items) && isObject(after.items)) {
    compareSchemas(before.items, after.items, `${path}/*`, ctx);
  }
}

function compareObjects(before: Schema, after: Schema, path: string, ctx: Context): void {
  const beforeProps = asSchema(before.properties);
  const afterProps = asSchema(after.properties);
  const beforeRequired = new Set(Array.isArray(before.required) ? before.required.map(String) : []);
  const afterRequired = new Set(Array.isArray(after.required) ? after.required.map(String) : []);
  for (const [name, schema] of Object.entries(beforeProps)) {
    const next = afterProps[name];
    if (next === undefined) {
      ctx.out.push({ path: `${path}/${name}`, change: 'property removed' });
      continue;
    }
    if (beforeRequired.has(name) && !afterRequired.has(name)) {
      ctx.out.push({ path: `${path}/${name}`, change: 'required property made optional' });
    }
    compareSchemas(asSchema(schema), asSchema(next), `${path}/${name}`, ctx);
  }
  for (const name of afterRequired) {
    if (!beforeRequired.has(name)) {
      ctx.out.push({
        path: `${path}/${name}`,
        change: name in beforeProps ? 'optional property made required' : 'new required property',
      });
    }
  }
  if (after.additionalProperties === false && before.additionalProperties !== false) {
    ctx.out.push({ path: path || '/', change: 'additional properties no longer allowed' });
  }
  if (isObject(before.additionalProperties) && isObject(after.additionalProperties)) {
    compareSchemas(before.additionalProperties, after.additionalProperties, `${path}/*`, ctx);
  }
  if (isObject(after.propertyNames)) {
    compareSchemas(asSchema(before.propertyNames), after.propertyNames, `${path}/{key}`, ctx);
  }
}

/** Every change from `before` to `after` that breaks readers or writers of `before`. */
export function findBreakingChanges(before: JsonObject, after: JsonObject): BreakingChange[] {
  const out: BreakingChange[] = [];
  compareSchemas(before, after, '', { beforeRoot: before, afterRoot: after, out });
  return out;
}
