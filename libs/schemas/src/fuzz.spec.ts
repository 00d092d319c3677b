import fc from 'fast-check';
import {
  CONTRACT_LIST,
  SchemaValidationError,
  contracts,
  decode,
  encode,
  parse,
  safeDecode,
  safeParse,
  type Contract,
} from './index.ts';
import {
  sampleBatchControl,
  sampleBatchIntent,
  sampleCallbackPayload,
  sampleDedupeEntry,
  sampleEventRecord,
  sampleFailedResult,
  sampleJobRecord,
  sampleJobSubmission,
  sampleOpenBatch,
  sampleStatusRecord,
  sampleStreamDelta,
  sampleStreamEnd,
  sampleSucceededResult,
  sampleTerminalStatus,
} from './testing.ts';

// Fuzzing of the parse helpers over every contract (issue 11, "Hostile input"): whatever arrives
// from Kafka or HTTP, the helpers answer with a value or a SchemaValidationError, never another
// error; valid samples survive encode → decode unchanged. Unit tier, no I/O.
const RUNS = { numRuns: 100 };

/** Calls `run`; a SchemaValidationError is an expected answer, anything else fails the test. */
function rejectsOnlyWithValidationError(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof SchemaValidationError)) throw error;
    expect(error.issues.length).toBeGreaterThan(0);
    for (const issue of error.issues) {
      expect(typeof issue.pointer).toBe('string');
      expect(issue.pointer === '' || issue.pointer.startsWith('/')).toBe(true);
    }
  }
}

/** JSON a hostile producer might send: any JSON, prototype-pollution keys, odd numbers. */
const hostileJson = fc.oneof(
  fc.jsonValue(),
  fc.dictionary(
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'schema_version', 'job_id', 'tenant'),
    fc.jsonValue(),
  ),
  fc.constantFrom(1e308, -0, Number.MAX_SAFE_INTEGER + 2, 0.1, -1),
);

/** Text and bytes as they come off the wire. */
const hostileRaw: fc.Arbitrary<string | Uint8Array | null | undefined> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.uint8Array({ maxLength: 512 }),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v), 'utf16le')),
  fc.constantFrom(null, undefined, '', '\ufeff{}', '{"a":1}garbage', 'NaN', '1e999'),
);

describe.each(CONTRACT_LIST.map((c) => [c.name, c] as const))('%s fuzzing', (_name, contract) => {
  it('safeParse never throws, and parse throws only SchemaValidationError', () => {
    fc.assert(
      fc.property(hostileJson, (value) => {
        const result = safeParse(contract, value);
        expect(typeof result.ok).toBe('boolean');
        if (!result.ok) expect(result.error).toBeInstanceOf(SchemaValidationError);
        rejectsOnlyWithValidationError(() => parse(contract, value));
      }),
      RUNS,
    );
  });

  it('safeDecode never throws, and decode throws only SchemaValidationError, on any bytes', () => {
    fc.assert(
      fc.property(hostileRaw, (raw) => {
        const result = safeDecode(contract, raw);
        if (!result.ok) expect(result.error.schemaName).toBe(contract.name);
        rejectsOnlyWithValidationError(() => decode(contract, raw));
      }),
      RUNS,
    );
  });

  it('deeply nested JSON is rejected with SchemaValidationError, not a stack overflow', () => {
    for (const depth of [1_000, 100_000]) {
      const nested = '['.repeat(depth) + ']'.repeat(depth);
      const inObject = `{"schema_version":1,"job_id":${nested},"metadata":{"a":${nested}}}`;
      for (const text of [nested, inObject]) {
        const result = safeDecode(contract, text);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.error).toBeInstanceOf(SchemaValidationError);
      }
    }
  });

  it('encode of arbitrary values returns JSON that decodes, or throws SchemaValidationError', () => {
    fc.assert(
      fc.property(hostileJson, (value) => {
        let text: string | undefined;
        rejectsOnlyWithValidationError(() => {
          text = encode(contract as Contract, value as never);
        });
        if (text !== undefined) expect(safeDecode(contract, text).ok).toBe(true);
      }),
      RUNS,
    );
  });
});

/** Every sample builder of ./testing with its contract. */
const SAMPLES: [string, Contract, () => unknown][] = [
  ['event record', contracts.eventRecord, () => sampleEventRecord()],
  ['dedupe entry', contracts.dedupeEntry, () => sampleDedupeEntry()],
  ['job record', contracts.jobRecord, () => sampleJobRecord()],
  ['succeeded result', contracts.resultRecord, () => sampleSucceededResult()],
  ['failed result', contracts.resultRecord, () => sampleFailedResult()],
  ['status record', contracts.statusRecord, () => sampleStatusRecord()],
  ['terminal status', contracts.statusRecord, () => sampleTerminalStatus('delivered')],
  ['stream delta', contracts.streamRecord, () => sampleStreamDelta('hello', 0)],
  ['stream end', contracts.streamRecord, () => sampleStreamEnd(3)],
  ['batch intent', contracts.batchesRecord, () => sampleBatchIntent()],
  ['open batch', contracts.batchesRecord, () => sampleOpenBatch()],
  ['batch control', contracts.batchControl, () => sampleBatchControl()],
  ['job submission', contracts.jobSubmission, () => sampleJobSubmission()],
  ['callback payload', contracts.callbackPayload, () => sampleCallbackPayload()],
];

describe('valid samples round-trip', () => {
  it.each(SAMPLES)(
    '%s: encode → decode (text and bytes) gives the parsed value back',
    (_n, contract, build) => {
      const sample = build();
      const parsed = parse(contract, sample);
      const text = encode(contract, sample as never);
      expect(decode(contract, text)).toEqual(parsed);
      expect(decode(contract, Buffer.from(text, 'utf8'))).toEqual(parsed);
      // Idempotent: encoding the decoded value gives the same bytes.
      expect(encode(contract, decode(contract, text) as never)).toBe(text);
    },
  );

  it('job records with arbitrary prompt text, ids and metadata round-trip', () => {
    const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 });
    fc.assert(
      fc.property(
        text,
        fc.option(text, { nil: undefined }),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 50 }), {
          maxKeys: 5,
        }),
        (content, system, metadata) => {
          const record = sampleJobRecord({
            messages: [{ role: 'user', content }],
            ...(system === undefined ? {} : { system }),
            metadata,
          });
          const result = safeParse(contracts.jobRecord, record);
          // Not every arbitrary metadata is allowed; what is allowed must round-trip exactly.
          fc.pre(result.ok);
          const encoded = encode(contracts.jobRecord, record);
          expect(decode(contracts.jobRecord, encoded)).toEqual(
            result.ok ? result.value : undefined,
          );
          expect(decode(contracts.jobRecord, Buffer.from(encoded))).toEqual(
            result.ok ? result.value : undefined,
          );
        },
      ),
      RUNS,
    );
  });

  it('stream deltas with arbitrary text (lone surrogates included) decode to the same text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.nat({ max: 10_000 }), (chunk, seq) => {
        const record = sampleStreamDelta(chunk, seq);
        const decoded = decode(contracts.streamRecord, encode(contracts.streamRecord, record));
        expect(decoded).toEqual(parse(contracts.streamRecord, record));
      }),
      RUNS,
    );
  });

  it('a valid record with one field changed to an arbitrary value parses or fails cleanly', () => {
    const sample = sampleEventRecord() as unknown as Record<string, unknown>;
    const keys = Object.keys(sample);
    fc.assert(
      fc.property(fc.constantFrom(...keys), hostileJson, (key, value) => {
        rejectsOnlyWithValidationError(() =>
          parse(contracts.eventRecord, { ...sample, [key]: value }),
        );
      }),
      RUNS,
    );
  });
});
