import fc from 'fast-check';
import { jobRefsBuilder, jobRefsOf } from './job-refs.ts';
import type { StoredJobRef } from './stored.ts';

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));

const refArb: fc.Arbitrary<StoredJobRef> = fc.record(
  {
    job_id: fc.stringMatching(/^[a-zA-Z0-9_-]{1,64}$/),
    tenant: fc.constantFrom('acme', 'globex', 'initech'),
    correlation_id: fc.string({ minLength: 1, maxLength: 20 }),
    generation: fc.integer({ min: 1, max: 1_000_000 }),
    traceparent: fc.oneof(
      fc.tuple(hex(2), hex(32), hex(16), hex(2)).map(([v, t, s, f]) => `${v}-${t}-${s}-${f}`),
      fc.constant('00-NOT-A-VALID-TRACEPARENT'),
    ),
    tracestate: fc.constantFrom('a=1', 'b=2,c=3'),
    source_partition: fc.integer({ min: 0, max: 63 }),
    source_offset: fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }).map(String),
      fc.bigInt({ min: 2n ** 53n, max: 2n ** 63n - 1n }).map(String),
      fc.constant('007'),
    ),
    attempt: fc.integer({ min: 1, max: 10 }),
    created_at: fc.constantFrom('2026-11-22T07:59:00.000Z', '2026-11-22T08:00:00.000Z'),
    callback: fc.constant({ url: 'https://example.com/hook' }),
    metadata: fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })),
  },
  {
    requiredKeys: [
      'job_id',
      'tenant',
      'correlation_id',
      'generation',
      'source_partition',
      'source_offset',
      'attempt',
      'created_at',
    ],
  },
);

describe('job refs in columns', () => {
  it('gives back every ref as it was added, in order', () => {
    fc.assert(
      fc.property(fc.array(refArb, { maxLength: 300 }), (refs) => {
        const held = jobRefsOf(refs);
        expect(held.length).toBe(refs.length);
        expect([...held]).toEqual(refs);
        expect(held.map((r, i) => `${i}:${r.job_id}`)).toEqual(
          refs.map((r, i) => `${i}:${r.job_id}`),
        );
        refs.forEach((ref, i) => {
          expect(held.at(i)).toEqual(ref);
          expect(held.jobId(i)).toBe(ref.job_id);
          expect(held.indexOf(ref.job_id)).toBe(refs.findIndex((r) => r.job_id === ref.job_id));
        });
      }),
      { numRuns: 60 },
    );
  });

  it('grows past its initial capacity and refuses indexes out of range', () => {
    const builder = jobRefsBuilder(2);
    for (let i = 0; i < 1000; i += 1) {
      builder.add({
        job_id: `job-${i}`,
        tenant: 'acme',
        correlation_id: `c-${i}`,
        generation: 1,
        traceparent: `00-${'a'.repeat(32)}-${i.toString(16).padStart(16, '0')}-01`,
        source_partition: 0,
        source_offset: String(i),
        attempt: 1,
        created_at: '2026-11-22T07:59:00.000Z',
      });
    }
    const held = builder.build();
    expect(held.length).toBe(1000);
    expect(held.at(999).traceparent).toBe(
      `00-${'a'.repeat(32)}-${(999).toString(16).padStart(16, '0')}-01`,
    );
    expect(held.at(500).source_offset).toBe('500');
    expect(() => held.at(1000)).toThrow(RangeError);
    expect(() => held.at(-1)).toThrow(RangeError);
    expect(held.indexOf('job-1000')).toBe(-1);
  });
});
