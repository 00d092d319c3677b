import { z } from 'zod';
import { ApiError } from './errors.ts';
import { parseOrThrow } from './validation.ts';

const message = (schema: z.ZodType, value: unknown): string => {
  try {
    parseOrThrow(schema, value);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    return (error as ApiError).message;
  }
  throw new Error('expected a 400');
};

describe('API-style validation messages', () => {
  const schema = z.strictObject({
    name: z.string(),
    count: z.number().int().min(1).max(3),
    tags: z.array(z.string()).min(1).max(2),
    kind: z.enum(['a', 'b']),
    item: z.discriminatedUnion('type', [
      z.object({ type: z.literal('x') }),
      z.object({ type: z.literal('y') }),
    ]),
  });
  const valid = { name: 'n', count: 1, tags: ['t'], kind: 'a', item: { type: 'x' } };

  it.each([
    [{ ...valid, name: undefined }, 'name: Field required'],
    [{ ...valid, name: 5 }, 'name: Input should be a valid string'],
    [{ ...valid, count: 1.5 }, 'count: Input should be a valid integer'],
    [{ ...valid, count: 0 }, 'count: Input should be greater than or equal to 1'],
    [{ ...valid, count: 4 }, 'count: Input should be less than or equal to 3'],
    [{ ...valid, tags: [] }, 'tags: List should have at least 1 item after validation, not 0'],
    [
      { ...valid, tags: ['a', 'b', 'c'] },
      'tags: List should have at most 2 items after validation, not 3',
    ],
    [{ ...valid, tags: 'a' }, 'tags: Input should be a valid list'],
    [{ ...valid, kind: 'c' }, "kind: Input should be 'a' or 'b'"],
    [
      { ...valid, item: { type: 'z' } },
      "item.type: Input tag 'z' found using 'type' does not match any of the expected tags: 'x', 'y'",
    ],
    [{ ...valid, extra: true }, 'extra: Extra inputs are not permitted'],
    ['nope', 'Input should be a valid dictionary'],
  ])('%j → %s', (value, expected) => {
    expect(message(schema, value)).toBe(expected);
  });

  it('returns the parsed value when valid', () => {
    expect(parseOrThrow(schema, valid)).toEqual(valid);
  });
});
