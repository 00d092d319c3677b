import type { BatchingProducer, OutgoingRecord } from '@claude-pipeline/kafka';
import { contracts, decode, SchemaValidationError, type Attempt } from '@claude-pipeline/schemas';
import { sampleSucceededResult } from '@claude-pipeline/schemas/testing';
import { createLogger } from '@claude-pipeline/telemetry';
import { createStatusPublisher, type DeliveryState } from './status.publisher.ts';

function setup() {
  const sent: OutgoingRecord[] = [];
  const producer = {
    send: async (record: OutgoingRecord) => {
      sent.push(record);
      return { topicName: record.topic, partition: 0, errorCode: 0 };
    },
  } as unknown as BatchingProducer;
  const status = createStatusPublisher({
    producer,
    topic: 'status',
    logger: createLogger({ service: 'notifier', level: 'silent' }),
    now: () => Date.UTC(2026, 10, 22, 12),
  });
  return { status, sent };
}

const attempt = (overrides: Partial<Attempt> = {}): Attempt => ({
  kind: 'delivery',
  number: 1,
  at: '2026-11-22T12:00:00.000Z',
  outcome: 'retrying',
  error: { class: 'transient', message: 'HTTP 503 from https://example.com after 12 ms' },
  http_status: 503,
  ...overrides,
});

describe('status publisher', () => {
  it.each<[DeliveryState, Attempt[]]>([
    ['delivering', []],
    ['delivering', [attempt()]],
    ['delivered', [attempt(), attempt({ number: 2, outcome: 'succeeded', http_status: 200 })]],
    ['undeliverable', [attempt({ outcome: 'failed', error: { class: 'invalid', message: 'x' } })]],
  ])(
    'a %s record (case %#) is valid under the contract, field for field',
    async (state, attempts) => {
      const { status, sent } = setup();
      const result = sampleSucceededResult();
      await status.publish({
        result,
        generation: 3,
        mode: 'realtime',
        state,
        attempts,
        recordHeaders: {},
      });
      const value = decode(contracts.statusRecord, sent[0]?.value as string);
      expect(value).toMatchObject({
        job_id: result.job_id,
        tenant: result.tenant,
        generation: 3,
        state,
        attempts,
        updated_at: '2026-11-22T12:00:00.000Z',
      });
      expect(value.result?.status).toBe('succeeded');
    },
  );

  it('an attempt the contract refuses fails at the producer, naming the field', async () => {
    const { status, sent } = setup();
    const publish = status.publish({
      result: sampleSucceededResult(),
      generation: 1,
      mode: 'realtime',
      state: 'delivering',
      attempts: [attempt({ number: 0 })],
      recordHeaders: {},
    });
    await expect(publish).rejects.toBeInstanceOf(SchemaValidationError);
    await expect(publish).rejects.toThrow(/attempts/);
    expect(sent).toHaveLength(0);
  });

  it('a generation the contract refuses fails too', async () => {
    const { status } = setup();
    await expect(
      status.publish({
        result: sampleSucceededResult(),
        generation: 0,
        mode: 'realtime',
        state: 'delivering',
        attempts: [],
        recordHeaders: {},
      }),
    ).rejects.toBeInstanceOf(SchemaValidationError);
  });
});
