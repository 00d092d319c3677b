import { DLQ, GENERATION, REDRIVEN_AT, RETRY } from '../headers.ts';
import type { BatchingProducer, OutgoingRecord } from '../producer/batching-producer.ts';
import { redrive, type DlqRecord } from './redrive.ts';

describe('redrive', () => {
  it('sends the original headers back as they are (repeated, binary), minus the retry and DLQ ones', async () => {
    const binary = Buffer.from([0xff, 0x00, 0x80, 0xc3, 0x28]);
    const repeated = [Buffer.from('first'), Buffer.from([0xfe, 0x01])];
    const record: DlqRecord = {
      dlqTopic: 'p.claude-worker.dlq',
      partition: 0,
      offset: '3',
      key: Buffer.from('k'),
      value: Buffer.from('{}'),
      headers: {
        'x-repeated': repeated,
        'x-binary': binary,
        [RETRY.originalTopic]: Buffer.from('p.jobs'),
        [RETRY.attempt]: Buffer.from('3'),
        [DLQ.errorClass]: Buffer.from('transient'),
      },
      errorClass: 'transient',
      errorMessage: 'upstream 500',
      failedAt: 1,
      sourceTopic: 'p.jobs',
      stage: 'retry.2',
      correlationId: undefined,
      generation: 0,
    };
    const sent: OutgoingRecord[] = [];
    const producer: BatchingProducer = {
      send: async (r) => {
        sent.push(r);
        return { topicName: r.topic, partition: 0, errorCode: 0 };
      },
      flush: async () => undefined,
      queued: 0,
    };
    await redrive([record], { producer, now: () => 1234 });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.topic).toBe('p.jobs');
    expect(sent[0]!.headers).toEqual({
      'x-repeated': repeated,
      'x-binary': binary,
      [GENERATION]: '1',
      [REDRIVEN_AT]: '1234',
    });
  });
});
