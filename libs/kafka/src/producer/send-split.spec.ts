import type { ProducerBatch, RecordMetadata } from 'kafkajs';
import { recordBytes } from './record-bytes.ts';
import { sendSplit } from './send-split.ts';

function recorder() {
  const requests: { topic: string; values: string[] }[][] = [];
  let offset = 0;
  const sender = {
    sendBatch: async (batch: ProducerBatch): Promise<RecordMetadata[]> => {
      const topicMessages = batch.topicMessages ?? [];
      requests.push(
        topicMessages.map((t) => ({
          topic: t.topic,
          values: t.messages.map((m) => String(m.value)),
        })),
      );
      return topicMessages.map((t) => {
        const meta = { topicName: t.topic, partition: 0, errorCode: 0, baseOffset: String(offset) };
        offset += t.messages.length;
        return meta;
      });
    },
  };
  return { sender, requests };
}

const message = (value: string) => ({ value });

describe('sendSplit', () => {
  it('sends everything in one request when it fits', async () => {
    const { sender, requests } = recorder();
    const metadata = await sendSplit(sender, [
      { topic: 'a', messages: [message('1'), message('2')] },
      { topic: 'b', messages: [message('3')] },
    ]);
    expect(requests).toEqual([
      [
        { topic: 'a', values: ['1', '2'] },
        { topic: 'b', values: ['3'] },
      ],
    ]);
    expect(metadata.map((m) => [m.topicName, m.baseOffset])).toEqual([
      ['a', '0'],
      ['b', '2'],
    ]);
  });

  it('keeps each topic under maxBytes per request, in order, and returns every request’s metadata', async () => {
    const { sender, requests } = recorder();
    const values = Array.from({ length: 10 }, (_, i) => `${i}`.padStart(100, 'x'));
    const perMessage = recordBytes(message(values[0] ?? ''));
    const metadata = await sendSplit(
      sender,
      [{ topic: 'a', messages: values.map(message) }],
      perMessage * 3,
    );
    expect(requests.map((r) => r[0]?.values.length)).toEqual([3, 3, 3, 1]);
    expect(requests.flatMap((r) => r[0]?.values ?? [])).toEqual(values);
    expect(metadata.map((m) => m.baseOffset)).toEqual(['0', '3', '6', '9']);
  });

  it('sends a record larger than maxBytes alone, between its neighbours', async () => {
    const { sender, requests } = recorder();
    let pulled = 0;
    function* lazy() {
      for (const v of ['small', 'x'.repeat(5_000), 'small2']) {
        pulled += 1;
        yield message(v);
      }
    }
    const done = sendSplit(sender, [{ topic: 'a', messages: lazy() }], 1_000);
    await done;
    expect(pulled).toBe(3);
    expect(requests.map((r) => r[0]?.values.map((v) => v.length))).toEqual([[5], [5_000], [6]]);
  });
});

describe('recordBytes', () => {
  it('counts a repeated header once per value, name included, and strings as UTF-8 bytes', () => {
    const one = recordBytes({ value: 'v', headers: { 'x-h': 'abcd' } });
    const three = recordBytes({
      value: 'v',
      headers: { 'x-h': ['abcd', 'abcd', Buffer.from('abcd')] },
    });
    expect(three - one).toBe(2 * (10 + 3 + 4));
    expect(recordBytes({ value: 'é'.repeat(100) }) - recordBytes({ value: '' })).toBe(200);
  });
});
