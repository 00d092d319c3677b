import { contracts } from './contracts.ts';
import { isSchemaValidationError, SchemaValidationError } from './errors.ts';
import { decode, encode, parse, safeDecode, safeParse } from './parse.ts';
import { problemFromValidationError, problemSchema } from './problem.ts';
import { jobIdSchema } from './common.ts';
import { sampleJobRecord, sampleSucceededResult } from './testing.ts';

describe('parse helpers', () => {
  it('return the typed value', () => {
    const result = parse(contracts.resultRecord, sampleSucceededResult());
    expect(result.status === 'succeeded' && result.usage.cache_read_input_tokens).toBe(100);
    expect(safeParse(contracts.jobRecord, sampleJobRecord())).toMatchObject({ ok: true });
  });

  it('throw a SchemaValidationError naming the contract and every invalid field', () => {
    const bad = { ...sampleJobRecord(), job_id: 'a/b', max_tokens: -1 };
    let caught: unknown;
    try {
      parse(contracts.jobRecord, bad);
    } catch (error) {
      caught = error;
    }
    expect(isSchemaValidationError(caught)).toBe(true);
    const error = caught as SchemaValidationError;
    expect(error.schemaName).toBe('job-record');
    expect(error.retriable).toBe(false);
    expect(error.issues.map((i) => i.pointer)).toEqual(['/job_id', '/max_tokens']);
    expect(error.message).toMatch(/^invalid job-record: \/job_id: .+; \/max_tokens: .+/);
    expect(error.cause).toBeDefined();
  });

  it('accept a bare schema too', () => {
    expect(parse(jobIdSchema, 'abc')).toBe('abc');
    expect(() => parse(jobIdSchema, 'a b')).toThrow(/^invalid value: \/: /);
  });

  it('shorten long issue lists in the message', () => {
    const result = safeParse(contracts.jobRecord, {});
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.issues.length).toBeGreaterThan(5);
      expect(result.error.message).toMatch(/and \d+ more$/);
    }
  });

  it('escape JSON pointer tokens', () => {
    const result = safeParse(contracts.jobRecord, {
      ...sampleJobRecord(),
      metadata: { 'a/b~c': 1 },
    });
    expect(!result.ok && result.error.issues[0]?.pointer).toBe('/metadata/a~1b~0c');
  });
});

describe('decode and encode', () => {
  it('decode UTF-8 JSON bytes and strings', () => {
    const bytes = new TextEncoder().encode(JSON.stringify(sampleJobRecord()));
    expect(decode(contracts.jobRecord, bytes).job_id).toBe('acme_5f2b9c1e7d');
    expect(decode(contracts.jobRecord, JSON.stringify(sampleJobRecord())).job_id).toBe(
      'acme_5f2b9c1e7d',
    );
  });

  it('report tombstones, bad UTF-8 and bad JSON as validation errors', () => {
    expect(safeDecode(contracts.batchesRecord, null)).toMatchObject({
      ok: false,
      error: { message: 'invalid batches-record: /: no value (tombstone or empty body)' },
    });
    expect(safeDecode(contracts.jobRecord, new Uint8Array([0xff, 0xfe]))).toMatchObject({
      ok: false,
      error: { message: 'invalid job-record: /: value is not valid UTF-8' },
    });
    expect(() => decode(contracts.jobRecord, '{"job_id":')).toThrow(
      /invalid job-record: \/: value is not JSON/,
    );
  });

  it('encode validates before serializing', () => {
    const json = encode(contracts.jobRecord, sampleJobRecord());
    expect(JSON.parse(json)).toEqual(sampleJobRecord());
    expect(() => encode(contracts.jobRecord, { ...sampleJobRecord(), generation: 0 })).toThrow(
      SchemaValidationError,
    );
  });
});

describe('problem details', () => {
  it('turns a validation error into an RFC 9457 body', () => {
    const result = safeParse(contracts.jobSubmission, { prompt: '', max_token: 1 });
    if (result.ok) throw new Error('expected a failure');
    const problem = problemFromValidationError(result.error, { instance: '/v1/jobs' });
    expect(problem).toMatchObject({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: 'The request body is not a valid job-submission.',
      instance: '/v1/jobs',
    });
    expect(problem.errors?.map((e) => e.pointer)).toEqual(expect.arrayContaining(['/prompt']));
    expect(problemSchema.safeParse(problem).success).toBe(true);
    expect(problemFromValidationError(result.error, { status: 422 }).title).toBe(
      'Unprocessable Content',
    );
  });

  it('keeps extension members and needs type, title and status', () => {
    expect(
      problemSchema.parse({ type: 'about:blank', title: 'Not Found', status: 404, trace_id: 'x' }),
    ).toHaveProperty('trace_id', 'x');
    expect(problemSchema.safeParse({ title: 'Not Found' }).success).toBe(false);
  });
});
