import {
  cloudEventHeadersSchema,
  contracts,
  decode,
  dlqHeadersSchema,
  HEADERS,
} from '@claude-pipeline/schemas';
import { sampleEventRecord, sampleJobRecord } from '@claude-pipeline/schemas/testing';
import type { OutgoingHeaders } from '@claude-pipeline/kafka';
import { decideBatch } from './dedupe.decider.ts';
import { acceptedStatus, CE_SOURCE, deadLetter, jobRecord } from './records.builder.ts';

const NOW = Date.parse('2025-01-15T12:00:00.000Z');

function accepted(job = sampleJobRecord({ callback: { url: 'https://example.com/cb' } })) {
  const event = sampleEventRecord({ job });
  const [verdict] = decideBatch(
    [{ offset: '7', key: null, value: Buffer.from(JSON.stringify(event)), headers: {} }],
    { lookup: () => undefined, windowMs: 1000, now: NOW },
  );
  if (verdict?.kind !== 'accept') throw new Error('expected accept');
  return verdict;
}

const asStrings = (headers: OutgoingHeaders | undefined) =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, v.toString()]));

describe('jobRecord', () => {
  it('is the job keyed by its id, with CloudEvents and correlation headers', () => {
    const verdict = accepted();
    const out = jobRecord(verdict, 'p.jobs', NOW);
    expect(out.topic).toBe('p.jobs');
    expect(out.key).toBe(verdict.event.job.job_id);
    expect(decode(contracts.jobRecord, out.value as string)).toEqual(verdict.event.job);
    const headers = asStrings(out.headers);
    expect(cloudEventHeadersSchema(contracts.jobRecord.ceType!).parse(headers)).toBeTruthy();
    expect(headers[HEADERS.ceId]).toBe(`${verdict.event.job.job_id}.1`);
    expect(headers[HEADERS.ceSource]).toBe(CE_SOURCE);
  });
});

describe('acceptedStatus', () => {
  it('is a valid `accepted` status record of the job', () => {
    const verdict = accepted();
    const out = acceptedStatus(verdict, 'p.status', NOW);
    const status = decode(contracts.statusRecord, out.value as string);
    expect(status).toMatchObject({
      job_id: verdict.event.job.job_id,
      tenant: 'acme',
      state: 'accepted',
      generation: 1,
      has_callback: true,
      attempts: [],
      updated_at: new Date(NOW).toISOString(),
    });
    expect(out.key).toBe(status.job_id);
    expect(
      cloudEventHeadersSchema(contracts.statusRecord.ceType!).parse(asStrings(out.headers)),
    ).toBeTruthy();
  });
});

describe('deadLetter', () => {
  it('keeps key, value and headers byte for byte and adds the DLQ headers', () => {
    const original = {
      offset: '42',
      key: Buffer.from('acme:k'),
      value: Buffer.from([0xff, 0x00]),
      headers: {
        traceparent: Buffer.from('00-abc'),
        repeated: [Buffer.from('a'), Buffer.from('b')],
      },
    };
    const out = deadLetter(original, { topic: 'p.events', partition: 3 }, 'bad JSON', NOW);
    expect(out.key).toBe(original.key);
    expect(out.value).toBe(original.value);
    const headers = out.headers ?? {};
    expect(headers['traceparent']).toBe(original.headers.traceparent);
    expect(headers['repeated']).toBe(original.headers.repeated);
    const added = Object.fromEntries(
      Object.entries(headers)
        .filter(([k]) => k.startsWith('pipeline-'))
        .map(([k, v]) => [k, String(v)]),
    );
    expect(dlqHeadersSchema.parse(added)).toMatchObject({
      'pipeline-error-class': 'invalid',
      'pipeline-error-message': 'bad JSON',
      'pipeline-error-retriable': 'false',
      'pipeline-error-stage': 'source',
      'pipeline-original-topic': 'p.events',
      'pipeline-original-partition': '3',
      'pipeline-original-offset': '42',
    });
    expect(added['pipeline-failed-at']).toBe(String(NOW));
    expect(added['pipeline-error-service']).toBe('dedupe');
  });

  it('truncates a long error message', () => {
    const out = deadLetter(
      { offset: '1', key: null, value: null },
      { topic: 't', partition: 0 },
      'x'.repeat(5000),
      NOW,
    );
    expect(String(out.headers?.['pipeline-error-message'])).toHaveLength(1000);
  });
});
