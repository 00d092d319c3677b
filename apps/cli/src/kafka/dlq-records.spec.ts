import type { DlqRecord } from '@claude-pipeline/kafka';
import { sampleEventRecord, sampleJobRecord } from '@claude-pipeline/schemas/testing';
import {
  dlqRecordView,
  hasBodyGeneration,
  jobIdOf,
  parseRecordRef,
  raiseGeneration,
  recordRef,
} from './dlq-records.ts';

function record(overrides: Partial<DlqRecord> = {}): DlqRecord {
  return {
    dlqTopic: 'pipeline.claude-worker.dlq',
    partition: 1,
    offset: '42',
    key: Buffer.from('job-1'),
    value: Buffer.from(JSON.stringify(sampleJobRecord())),
    headers: {
      'correlation-id': Buffer.from('corr-1'),
      'pipeline-error-class': Buffer.from('transient'),
    },
    errorClass: 'transient',
    errorMessage: 'upstream 503',
    failedAt: Date.parse('2025-01-15T10:00:00Z'),
    sourceTopic: 'pipeline.jobs',
    stage: 'retry.3',
    correlationId: 'corr-1',
    generation: 0,
    ...overrides,
  };
}

const json = (b: Buffer | null) => JSON.parse(b!.toString()) as Record<string, unknown>;

describe('dead letters', () => {
  it('a record is named by its DLQ coordinates, and the name parses back', () => {
    expect(recordRef(record())).toBe('pipeline.claude-worker.dlq:1:42');
    expect(parseRecordRef('pipeline.claude-worker.dlq:1:42')).toEqual({
      topic: 'pipeline.claude-worker.dlq',
      partition: 1,
      offset: '42',
    });
    expect(parseRecordRef('pipeline.claude-worker.dlq:1')).toBeUndefined();
    expect(parseRecordRef('nonsense')).toBeUndefined();
  });

  it('redrive raises the generation of a job record at the top of its value', () => {
    const raised = raiseGeneration(
      Buffer.from(JSON.stringify(sampleJobRecord({ generation: 1 }))),
      1,
    );
    expect(json(raised)['generation']).toBe(2);
    expect(json(raised)['job_id']).toBe(sampleJobRecord().job_id);
  });

  it('redrive raises the generation of an event record inside its job', () => {
    const event = sampleEventRecord();
    const raised = raiseGeneration(Buffer.from(JSON.stringify(event)), 1);
    expect((json(raised)['job'] as Record<string, unknown>)['generation']).toBe(2);
  });

  it('the body generation never goes below the header generation', () => {
    const raised = raiseGeneration(
      Buffer.from(JSON.stringify(sampleJobRecord({ generation: 1 }))),
      5,
    );
    expect(json(raised)['generation']).toBe(5);
  });

  it('values without a generation are sent unchanged, byte for byte', () => {
    const poison = Buffer.from([0xff, 0xfe, 0x00]);
    expect(raiseGeneration(poison, 1)).toBe(poison);
    const other = Buffer.from('{"hello":"world"}');
    expect(raiseGeneration(other, 1)).toBe(other);
    expect(raiseGeneration(null, 1)).toBeNull();
    expect(hasBodyGeneration(other)).toBe(false);
    expect(hasBodyGeneration(Buffer.from(JSON.stringify(sampleJobRecord())))).toBe(true);
  });

  it('the JSON view shows text as text, other bytes as base64, and headers as strings', () => {
    const view = dlqRecordView(record({ value: Buffer.from([0xff, 0x00]) }));
    expect(view).toMatchObject({
      ref: 'pipeline.claude-worker.dlq:1:42',
      failed_at: '2025-01-15T10:00:00.000Z',
      key: 'job-1',
      value: '/wA=',
      value_encoding: 'base64',
      headers: { 'correlation-id': 'corr-1', 'pipeline-error-class': 'transient' },
    });
    expect(dlqRecordView(record()).value_encoding).toBeUndefined();
  });

  it('the job id is read from a job value or an event value', () => {
    expect(jobIdOf(record())).toBe(sampleJobRecord().job_id);
    expect(jobIdOf(record({ value: Buffer.from(JSON.stringify(sampleEventRecord())) }))).toBe(
      sampleEventRecord().job.job_id,
    );
    expect(jobIdOf(record({ value: null }))).toBeUndefined();
  });
});
