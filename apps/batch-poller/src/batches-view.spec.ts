import { createBatchesView } from './batches-view.ts';
import { jobRefsOf } from './job-refs.ts';
import type { HeldIntent, StoredBatch } from './stored.ts';

const intent = (id: string): HeldIntent => ({
  schema_version: 1,
  type: 'intent',
  intent_id: id,
  created_at: '2026-11-22T08:00:00.000Z',
  jobs: jobRefsOf([
    {
      job_id: 'job-1',
      tenant: 'acme',
      correlation_id: 'c-1',
      generation: 1,
      source_partition: 0,
      source_offset: '7',
      attempt: 1,
      created_at: '2026-11-22T07:59:00.000Z',
    },
  ]),
  source_offsets: [{ topic: 't', partition: 0, from_offset: '7', to_offset: '7' }],
});

const batch = (id: string, intentId: string): StoredBatch => ({
  schema_version: 1,
  type: 'batch',
  batch_id: id,
  intent_id: intentId,
  created_at: '2026-11-22T08:00:01.000Z',
  expires_at: '2026-11-23T08:00:01.000Z',
  job_ids: ['job-1'],
});

describe('batches view', () => {
  it('links a batch record to its intent', () => {
    const view = createBatchesView();
    view.apply(1, 'i-1', intent('i-1'), 0);
    expect(view.intent('i-1')?.batchIds).toEqual([]);
    view.apply(1, 'b-1', batch('b-1', 'i-1'), 0);
    expect(view.intent('i-1')?.batchIds).toEqual(['b-1']);
    expect(view.isChosen('b-1')).toBe(true);
    expect(view.batches(1)).toHaveLength(1);
    expect(view.batches(0)).toHaveLength(0);
  });

  it('keeps the first batch of an intent; a later one is a duplicate', () => {
    const view = createBatchesView();
    view.apply(0, 'i-1', intent('i-1'), 0);
    view.apply(0, 'b-1', batch('b-1', 'i-1'), 0);
    view.apply(0, 'b-2', batch('b-2', 'i-1'), 0);
    expect(view.isChosen('b-1')).toBe(true);
    expect(view.isChosen('b-2')).toBe(false);
    // A progress update of b-1 does not change which one is chosen.
    view.apply(0, 'b-1', { ...batch('b-1', 'i-1'), emitted_lines: 10 }, 0);
    expect(view.isChosen('b-1')).toBe(true);
    expect(view.batch('b-1')?.batch.emitted_lines).toBe(10);
  });

  it('forgets tombstoned keys', () => {
    const view = createBatchesView();
    view.apply(0, 'i-1', intent('i-1'), 0);
    view.apply(0, 'b-1', batch('b-1', 'i-1'), 0);
    view.apply(0, 'b-1', null, 0);
    expect(view.batch('b-1')).toBeUndefined();
    expect(view.intent('i-1')?.batchIds).toEqual([]);
    view.apply(0, 'i-1', null, 0);
    expect(view.intents()).toHaveLength(0);
    expect(view.namedBatchIds().size).toBe(0);
  });

  it('a batch whose intent is gone is not chosen', () => {
    const view = createBatchesView();
    view.apply(0, 'b-9', batch('b-9', 'i-gone'), 0);
    expect(view.isChosen('b-9')).toBe(false);
    expect(view.namedBatchIds().has('b-9')).toBe(true);
  });
});
