import { findBreakingChanges } from './compat.ts';
import type { JsonObject } from './json-schema.ts';

const obj = (properties: JsonObject, required: string[] = Object.keys(properties)): JsonObject => ({
  type: 'object',
  properties,
  required,
});
const str: JsonObject = { type: 'string' };
const int: JsonObject = { type: 'integer' };
const changes = (before: JsonObject, after: JsonObject): string[] =>
  findBreakingChanges(before, after).map((c) => `${c.path}: ${c.change}`);

describe('findBreakingChanges', () => {
  it('finds nothing between equal schemas, or when only descriptions change', () => {
    const schema = obj({ a: str, b: int });
    expect(changes(schema, schema)).toEqual([]);
    expect(changes(schema, obj({ a: { ...str, description: 'now documented' }, b: int }))).toEqual(
      [],
    );
  });

  it('allows a new optional property', () => {
    expect(changes(obj({ a: str }), obj({ a: str, b: int }, ['a']))).toEqual([]);
  });

  it('flags a removed property, required or not', () => {
    expect(changes(obj({ a: str, b: int }), obj({ a: str }))).toEqual(['/b: property removed']);
    expect(changes(obj({ a: str, b: int }, ['a']), obj({ a: str }))).toEqual([
      '/b: property removed',
    ]);
  });

  it('flags a new required property and optional-to-required', () => {
    expect(changes(obj({ a: str }), obj({ a: str, b: int }))).toEqual([
      '/b: new required property',
    ]);
    expect(changes(obj({ a: str, b: int }, ['a']), obj({ a: str, b: int }))).toEqual([
      '/b: optional property made required',
    ]);
  });

  it('flags required-to-optional (consumers rely on it)', () => {
    expect(changes(obj({ a: str }), obj({ a: str }, []))).toEqual([
      '/a: required property made optional',
    ]);
  });

  it('flags a changed type, in either direction', () => {
    expect(changes(obj({ a: str }), obj({ a: int }))).toEqual([
      '/a: type changed from string to integer',
    ]);
    expect(changes(obj({ a: int }), obj({ a: { type: 'number' } }))).toEqual([
      '/a: type changed from integer to number',
    ]);
    expect(changes(obj({ a: str }), obj({ a: { type: ['string', 'null'] } }))).toEqual([
      '/a: type changed from string to null|string',
    ]);
  });

  it('flags a removed enum value but not an added one', () => {
    const e = (...values: string[]): JsonObject => ({ type: 'string', enum: values });
    expect(changes(obj({ s: e('a', 'b') }), obj({ s: e('a') }))).toEqual([
      '/s: enum value "b" removed',
    ]);
    expect(changes(obj({ s: e('a') }), obj({ s: e('a', 'b') }))).toEqual([]);
    expect(changes(obj({ s: str }), obj({ s: e('a') }))).toEqual(['/s: now restricted to an enum']);
  });

  it('flags narrowed bounds and changed patterns, not widened ones', () => {
    const s = (extra: JsonObject): JsonObject => obj({ s: { type: 'string', ...extra } });
    expect(changes(s({ maxLength: 64 }), s({ maxLength: 32 }))).toEqual([
      '/s: maxLength lowered from 64 to 32',
    ]);
    expect(changes(s({ maxLength: 32 }), s({ maxLength: 64 }))).toEqual([]);
    expect(changes(s({}), s({ minLength: 1 }))).toEqual([
      '/s: minLength raised from undefined to 1',
    ]);
    expect(changes(s({ pattern: '^a$' }), s({ pattern: '^b$' }))).toEqual([
      '/s: pattern changed from ^a$ to ^b$',
    ]);
    expect(changes(s({ pattern: '^a$' }), s({}))).toEqual([]);
    expect(changes(s({}), s({ format: 'uri' }))).toEqual([
      '/s: format changed from undefined to uri',
    ]);
  });

  it('flags a changed const and newly forbidden additional properties', () => {
    expect(
      changes(obj({ v: { type: 'number', const: 1 } }), obj({ v: { type: 'number', const: 2 } })),
    ).toEqual(['/v: const changed from 1 to 2']);
    expect(changes(obj({ a: str }), { ...obj({ a: str }), additionalProperties: false })).toEqual([
      '/: additional properties no longer allowed',
    ]);
  });

  it('looks into nested objects, arrays and maps', () => {
    const nested = (leaf: JsonObject): JsonObject =>
      obj({
        list: { type: 'array', items: obj({ leaf }) },
        map: { type: 'object', additionalProperties: leaf },
      });
    expect(changes(nested(str), nested(int))).toEqual([
      '/list/*/leaf: type changed from string to integer',
      '/map/*: type changed from string to integer',
    ]);
  });

  it('matches discriminated union variants by tag', () => {
    const variant = (tag: string, extra: JsonObject = {}): JsonObject =>
      obj({ status: { type: 'string', const: tag }, ...extra });
    const before = { oneOf: [variant('succeeded', { usage: int }), variant('failed')] };
    expect(
      changes(before, { oneOf: [variant('failed'), variant('succeeded', { usage: int })] }),
    ).toEqual([]);
    expect(changes(before, { oneOf: [variant('succeeded', { usage: int })] })).toEqual([
      '/: union variant status="failed" removed',
    ]);
    expect(
      changes(before, { oneOf: [variant('succeeded', { usage: str }), variant('failed')] }),
    ).toEqual(['{status="succeeded"}/usage: type changed from integer to string']);
    expect(
      changes(before, {
        oneOf: [variant('succeeded', { usage: int }), variant('failed'), variant('cancelled')],
      }),
    ).toEqual([]);
  });

  it('does not take a constant shared by all variants for a tag', () => {
    const variant = (tag: string, extra: JsonObject = {}): JsonObject =>
      obj({ v: { type: 'number', const: 1 }, type: { type: 'string', const: tag }, ...extra });
    const before = { oneOf: [variant('a', { x: str }), variant('b', { y: int })] };
    expect(
      changes(before, { oneOf: [variant('b', { y: int }), variant('a', { x: str })] }),
    ).toEqual([]);
  });

  it('matches plain union variants by what they accept', () => {
    const content = { anyOf: [str, { type: 'array', items: str }] };
    expect(
      changes(obj({ c: content }), obj({ c: { anyOf: [{ type: 'array', items: str }, str] } })),
    ).toEqual([]);
    expect(changes(obj({ c: content }), obj({ c: str }))).toEqual([
      '/c: type changed from array to string',
    ]);
    expect(changes(obj({ c: str }), obj({ c: content }))).toEqual([]);
  });

  it('resolves local $refs', () => {
    const withRef = (leaf: JsonObject): JsonObject => ({
      ...obj({ a: { $ref: '#/$defs/leaf' } }),
      $defs: { leaf },
    });
    expect(changes(withRef(str), withRef(str))).toEqual([]);
    expect(changes(withRef(str), withRef(int))).toEqual([
      '/a: type changed from string to integer',
    ]);
  });
});
