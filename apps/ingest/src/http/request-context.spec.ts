import { MAX_JSON_DEPTH, nestingDepth, parseJson } from './request-context.ts';

const nested = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);

describe('parseJson', () => {
  it('measures nesting without recursion', () => {
    expect(nestingDepth(1)).toBe(0);
    expect(nestingDepth({})).toBe(1);
    expect(nestingDepth({ a: [1, { b: null }] })).toBe(3);
    expect(nestingDepth(JSON.parse(nested(200_000)) as unknown, 10)).toBe(11);
  });

  it(`accepts ${MAX_JSON_DEPTH} levels and refuses one more with 422 json_too_deep`, () => {
    expect(parseJson(Buffer.from(nested(MAX_JSON_DEPTH)))).toBeDefined();
    expect(() => parseJson(Buffer.from(nested(MAX_JSON_DEPTH + 1)))).toThrow(
      expect.objectContaining({ status: 422, code: 'json_too_deep' }),
    );
    // Deep enough to overflow a recursive walker: still a clean 422.
    expect(() => parseJson(Buffer.from(nested(50_000)))).toThrow(
      expect.objectContaining({ status: 422 }),
    );
  });

  it('refuses empty and malformed bodies with 400', () => {
    expect(() => parseJson(Buffer.alloc(0))).toThrow(
      expect.objectContaining({ status: 400, code: 'malformed_json' }),
    );
    expect(() => parseJson(Buffer.from('{"a":'))).toThrow(
      expect.objectContaining({ status: 400, code: 'malformed_json' }),
    );
  });
});
