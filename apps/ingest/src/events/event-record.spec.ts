import { contracts, decode, isSchemaValidationError } from '@claude-pipeline/schemas';
import { sampleJobRecord } from '@claude-pipeline/schemas/testing';
import { jobIdFor } from '../ids.ts';
import { apiEvent, CE_SOURCE, prepareEvent, webhookEvent } from './event-record.ts';

const context = {
  tenant: 'acme',
  idempotencyKey: 'api:k-1',
  correlationId: 'corr-1',
  receivedAt: new Date('2026-03-01T12:00:00.000Z'),
};
const defaults = { maxTokens: 1024, taskClass: 'default' };

describe('apiEvent', () => {
  it('derives the job id from tenant and idempotency key and stamps times', () => {
    const record = apiEvent({ prompt: 'hi' }, context, defaults);
    expect(record.job.job_id).toBe(jobIdFor('acme', 'api:k-1'));
    expect(record.received_at).toBe('2026-03-01T12:00:00.000Z');
    expect(record.job.created_at).toBe(record.received_at);
    expect(record.event_id).toBeUndefined();
  });

  it('turns callback_url into callback and keeps tools', () => {
    const tools = [{ name: 'lookup', input_schema: { type: 'object' as const } }];
    const record = apiEvent(
      { prompt: 'hi', callback_url: 'https://x.example.com/cb', tools, stream: true },
      context,
      defaults,
    );
    expect(record.job.callback).toEqual({ url: 'https://x.example.com/cb' });
    expect(record.job.tools).toEqual(tools);
    expect(record.job.stream).toBe(true);
    expect('callback_url' in record.job).toBe(false);
    expect('prompt' in record.job).toBe(false);
  });
});

describe('webhookEvent', () => {
  it('records the source, event type and delivery id', () => {
    const record = webhookEvent(
      {
        messages: [{ role: 'user', content: 'x' }],
        task_class: 'review',
        max_tokens: 10,
        mode: 'realtime',
      },
      {
        ...context,
        idempotencyKey: 'github:d-1',
        source: 'github',
        eventType: 'pull_request',
        deliveryId: 'd-1',
      },
    );
    expect(record).toMatchObject({
      source: { kind: 'webhook', name: 'github' },
      event_type: 'pull_request',
      event_id: 'd-1',
      job: { stream: false, job_id: jobIdFor('acme', 'github:d-1') },
    });
  });
});

describe('prepareEvent', () => {
  it('validates and serialises the record, keyed by tenant + idempotency key', () => {
    const record = apiEvent({ prompt: 'hi' }, context, defaults);
    const event = prepareEvent(record, 'ce-1');
    expect(decode(contracts.eventRecord, event.value)).toEqual(record);
    expect(event.key).toBe('acme:api:k-1');
    expect(event.headers).toEqual({
      ce_specversion: '1.0',
      ce_id: 'ce-1',
      ce_source: CE_SOURCE,
      ce_type: 'claude-pipeline.event.accepted.v1',
      ce_time: '2026-03-01T12:00:00.000Z',
      ce_subject: record.job.job_id,
      'content-type': 'application/json',
      'correlation-id': 'corr-1',
    });
  });

  it('throws a SchemaValidationError naming the field of an invalid record', () => {
    const record = apiEvent({ prompt: 'hi' }, context, defaults);
    const bad = { ...record, job: sampleJobRecord({ tenant: 'someone-else' }) };
    let error: unknown;
    try {
      prepareEvent(bad, 'ce-1');
    } catch (caught) {
      error = caught;
    }
    expect(isSchemaValidationError(error)).toBe(true);
    expect((error as Error).message).toContain('/job/tenant');
  });
});
