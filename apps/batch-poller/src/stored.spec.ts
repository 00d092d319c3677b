import { decodeStored, encodeStored, storedIntentOf, type StoredIntent } from './stored.ts';

const intent: StoredIntent = {
  schema_version: 1,
  type: 'intent',
  intent_id: 'i-0-0-1',
  created_at: '2026-11-22T08:00:00.000Z',
  jobs: [
    {
      job_id: 'job-1',
      tenant: 'acme',
      correlation_id: 'c-1',
      generation: 1,
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      source_partition: 0,
      source_offset: '1',
      attempt: 1,
      created_at: '2026-11-22T07:59:00.000Z',
    },
  ],
  source_offsets: [{ topic: 'jobs', partition: 0, from_offset: '0', to_offset: '1' }],
};

describe('stored records', () => {
  it('round-trips an intent and a batch record', () => {
    const decoded = decodeStored(encodeStored(intent));
    if (decoded.type !== 'intent') throw new Error('not an intent');
    expect(storedIntentOf(decoded)).toEqual(intent);
    expect(decoded.jobs.length).toBe(1);
    const batch = {
      schema_version: 1 as const,
      type: 'batch' as const,
      batch_id: 'msgbatch_1',
      intent_id: 'i-0-0-1',
      created_at: '2026-11-22T08:00:01.000Z',
      expires_at: '2026-11-23T08:00:01.000Z',
      job_ids: ['job-1'],
      emitted_lines: 5,
    };
    expect(decodeStored(encodeStored(batch))).toEqual(batch);
  });

  it('refuses an intent with a bad job ref or a bad envelope', () => {
    const badRef = { ...intent, jobs: [{ ...intent.jobs[0], attempt: 'one' }] };
    expect(() => decodeStored(Buffer.from(JSON.stringify(badRef)))).toThrow();
    const badHead = { ...intent, intent_id: 'has spaces' };
    expect(() => decodeStored(Buffer.from(JSON.stringify(badHead)))).toThrow();
    expect(() => decodeStored(Buffer.from('{"type":"other"}'))).toThrow();
  });

  it('decodes a large intent ref by ref, keys in any order and with nested values', () => {
    const jobs = Array.from({ length: 3000 }, (_, i) => ({
      ...intent.jobs[0],
      job_id: `job-${i}`,
      correlation_id: `c-${i}`,
      source_offset: String(1000 + i),
      ...(i % 7 === 0
        ? { metadata: { note: 'has "quotes", [brackets], {braces} and ends with a backslash \\' } }
        : {}),
      ...(i % 11 === 0 ? { callback: { url: 'https://example.com/hook' } } : {}),
      ...(i % 13 === 0 ? { tracestate: 'vendor=a' } : {}),
    })) as StoredIntent['jobs'];
    const big: StoredIntent = { ...intent, jobs };
    // Keys reordered and whitespace added: the scan does not depend on JSON.stringify's layout.
    const { jobs: _jobs, ...head } = big;
    const text = `{ "jobs" : ${JSON.stringify(jobs, null, 1)} , ${JSON.stringify(head).slice(1)}`;
    const decoded = decodeStored(Buffer.from(text));
    if (decoded.type !== 'intent') throw new Error('not an intent');
    expect(storedIntentOf(decoded)).toEqual(big);
    expect(decoded.jobs.indexOf('job-2999')).toBe(2999);
    expect(decoded.jobs.indexOf('job-x')).toBe(-1);
  });

  it('refuses an intent whose job list holds something other than refs', () => {
    const scalars = { ...intent, jobs: [1, 2] };
    expect(() => decodeStored(Buffer.from(JSON.stringify(scalars)))).toThrow();
    const empty = { ...intent, jobs: [] };
    expect(() => decodeStored(Buffer.from(JSON.stringify(empty)))).toThrow();
  });
});
