import { dedupeEntrySchema } from './dedupe.ts';
import { eventRecordSchema } from './events.ts';
import { sampleDedupeEntry, sampleEventRecord, sampleJobRecord } from './testing.ts';

describe('event record', () => {
  it('accepts a webhook event with its job and an API submission', () => {
    expect(eventRecordSchema.safeParse(sampleEventRecord()).success).toBe(true);
    const api = sampleEventRecord({
      source: { kind: 'api', name: 'api' },
      event_type: 'job.submitted',
    });
    delete api.event_id;
    expect(eventRecordSchema.safeParse(api).success).toBe(true);
  });

  it('rejects a job of another tenant', () => {
    const event = sampleEventRecord({ job: sampleJobRecord({ tenant: 'other' }) });
    expect(eventRecordSchema.safeParse(event).error?.issues[0]?.path).toEqual(['job', 'tenant']);
  });

  it('validates the nested job', () => {
    const event = sampleEventRecord({ job: sampleJobRecord({ max_tokens: 0 }) });
    expect(eventRecordSchema.safeParse(event).error?.issues[0]?.path).toEqual([
      'job',
      'max_tokens',
    ]);
  });

  it('bounds the idempotency key', () => {
    expect(eventRecordSchema.safeParse(sampleEventRecord({ idempotency_key: '' })).success).toBe(
      false,
    );
    expect(
      eventRecordSchema.safeParse(sampleEventRecord({ idempotency_key: 'k'.repeat(256) })).success,
    ).toBe(false);
  });
});

describe('dedupe changelog entry', () => {
  it('accepts a first-seen record and rejects one without expiry', () => {
    expect(dedupeEntrySchema.safeParse(sampleDedupeEntry()).success).toBe(true);
    const { expires_at: _e, ...noExpiry } = sampleDedupeEntry();
    expect(dedupeEntrySchema.safeParse(noExpiry).success).toBe(false);
  });
});
