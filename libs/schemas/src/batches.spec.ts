import { batchControlSchema, batchesRecordSchema, MAX_BATCH_REQUESTS } from './batches.ts';
import { sampleBatchControl, sampleBatchIntent, sampleOpenBatch } from './testing.ts';

describe('batches topic', () => {
  it('accepts a packing intent and an open batch record', () => {
    expect(batchesRecordSchema.safeParse(sampleBatchIntent()).success).toBe(true);
    expect(batchesRecordSchema.safeParse(sampleOpenBatch()).success).toBe(true);
  });

  it('tells intent and batch apart by type', () => {
    const parsed = batchesRecordSchema.parse(sampleOpenBatch());
    expect(parsed.type === 'batch' && parsed.batch_id).toBe('msgbatch_013Zva2CMHLNnXjNJJKqJ2EF');
  });

  it('rejects an empty intent, an inverted offset range and a bad traceparent', () => {
    expect(batchesRecordSchema.safeParse(sampleBatchIntent({ jobs: [] })).success).toBe(false);
    const inverted = sampleBatchIntent({
      source_offsets: [{ topic: 'pipeline.jobs', partition: 0, from_offset: '10', to_offset: '9' }],
    });
    expect(batchesRecordSchema.safeParse(inverted).error?.issues[0]?.message).toBe(
      'from_offset must not exceed to_offset',
    );
    const badTrace = sampleBatchIntent();
    badTrace.jobs = [{ ...badTrace.jobs[0]!, traceparent: 'nope' }];
    expect(batchesRecordSchema.safeParse(badTrace).success).toBe(false);
  });

  it('compares offsets beyond 2^53 exactly', () => {
    const wide = sampleBatchIntent({
      source_offsets: [
        {
          topic: 'pipeline.jobs',
          partition: 0,
          from_offset: '9007199254740993',
          to_offset: '9007199254740992',
        },
      ],
    });
    expect(batchesRecordSchema.safeParse(wide).success).toBe(false);
  });

  it('caps a batch at the API limit', () => {
    const ids = Array.from({ length: MAX_BATCH_REQUESTS + 1 }, (_, i) => `job_${i}`);
    expect(batchesRecordSchema.safeParse(sampleOpenBatch({ job_ids: ids })).success).toBe(false);
  });

  it('accepts a poll command and rejects an unknown reason', () => {
    expect(batchControlSchema.safeParse(sampleBatchControl()).success).toBe(true);
    expect(batchControlSchema.safeParse({ ...sampleBatchControl(), reason: 'bored' }).success).toBe(
      false,
    );
  });
});
