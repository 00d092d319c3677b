import { Ajv } from 'ajv';
import { seededRandom } from '../random.ts';
import { valueForSchema } from './schema-value.ts';

// An independent validator checks the generated values (ajv, the validator fastify ships with).
const ajv = new Ajv({ strict: false, validateFormats: false });
const words = ['alpha', 'bravo'];
const valueOf = (schema: Record<string, unknown>) => valueForSchema(schema, seededRandom(1), words);

const SCHEMAS: [string, Record<string, unknown>][] = [
  [
    'required properties of each type',
    {
      type: 'object',
      properties: {
        s: { type: 'string' },
        n: { type: 'number' },
        i: { type: 'integer' },
        b: { type: 'boolean' },
        z: { type: 'null' },
        a: { type: 'array', items: { type: 'string' } },
        o: { type: 'object', properties: { x: { type: 'integer' } }, required: ['x'] },
      },
      required: ['s', 'n', 'i', 'b', 'z', 'a', 'o'],
      additionalProperties: false,
    },
  ],
  [
    'bounds and lengths',
    {
      type: 'object',
      properties: {
        low: { type: 'integer', minimum: 5, maximum: 9 },
        exclusive: { type: 'number', exclusiveMinimum: 0 },
        negative: { type: 'integer', maximum: -3 },
        step: { type: 'integer', minimum: 7, multipleOf: 5 },
        long: { type: 'string', minLength: 12 },
        short: { type: 'string', maxLength: 2 },
        list: { type: 'array', items: { type: 'integer' }, minItems: 3 },
      },
      required: ['low', 'exclusive', 'negative', 'step', 'long', 'short', 'list'],
    },
  ],
  [
    'enum, const, unions, nullable types',
    {
      type: 'object',
      properties: {
        e: { enum: ['red', 'green'] },
        c: { const: 42 },
        any: { anyOf: [{ type: 'null' }, { type: 'string', minLength: 3 }] },
        one: { oneOf: [{ type: 'integer', minimum: 2 }, { type: 'string' }] },
        maybe: { type: ['null', 'integer'] },
      },
      required: ['e', 'c', 'any', 'one', 'maybe'],
    },
  ],
  [
    'formats and patterns',
    {
      type: 'object',
      properties: {
        when: { type: 'string', format: 'date-time' },
        mail: { type: 'string', format: 'email' },
        code: { type: 'string', pattern: '^[A-Z]+$' },
        digits: { type: 'string', pattern: '^[0-9]{5}$' },
      },
      required: ['when', 'mail', 'code', 'digits'],
    },
  ],
  [
    'local $ref and allOf',
    {
      $defs: { point: { type: 'object', properties: { x: { type: 'number' } }, required: ['x'] } },
      type: 'object',
      properties: {
        p: { $ref: '#/$defs/point' },
        merged: {
          allOf: [
            { $ref: '#/$defs/point' },
            { type: 'object', properties: { y: { type: 'string' } }, required: ['y'] },
          ],
        },
      },
      required: ['p', 'merged'],
    },
  ],
];

describe('valueForSchema', () => {
  it.each(SCHEMAS)('%s: the value validates', (_name, schema) => {
    const value = valueOf(schema);
    const valid = ajv.validate(schema, value);
    expect(ajv.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('only required properties are filled in (a minimal value)', () => {
    expect(
      valueOf({
        type: 'object',
        properties: { a: { type: 'string' }, b: { type: 'integer' } },
        required: ['b'],
      }),
    ).toEqual({ b: 0 });
    expect(valueOf({ type: 'object', properties: { a: { type: 'string' } } })).toEqual({});
  });

  it('picks the first enum value and the lower bounds', () => {
    expect(
      valueOf({
        type: 'object',
        properties: { u: { enum: ['celsius', 'f'] }, d: { type: 'integer', minimum: 1 } },
        required: ['u', 'd'],
      }),
    ).toEqual({ u: 'celsius', d: 1 });
  });

  it('is deterministic for a seed', () => {
    const schema = { type: 'object', properties: { s: { type: 'string' } }, required: ['s'] };
    expect(valueForSchema(schema, seededRandom(7), words)).toEqual(
      valueForSchema(schema, seededRandom(7), words),
    );
  });

  it('recursive schemas stop at a depth limit', () => {
    const schema = {
      $defs: {
        node: {
          type: 'object',
          properties: { next: { $ref: '#/$defs/node' } },
          required: ['next'],
        },
      },
      $ref: '#/$defs/node',
    };
    expect(() => valueOf(schema)).not.toThrow();
  });
});
