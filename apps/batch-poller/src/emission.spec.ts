import type { Message, Transaction } from 'kafkajs';
import { createEmission } from './emission.ts';

/** A transaction double: each sendBatch completes after a few event-loop turns. */
function fakeProducer(options: { failOnSend?: number } = {}) {
  const sent: string[] = [];
  const log: string[] = [];
  let sends = 0;
  let concurrent = 0;
  let maxConcurrent = 0;
  let transactions = 0;
  const producer = {
    transaction: async () => {
      transactions += 1;
      let active = true;
      const tx = {
        sendBatch: async ({
          topicMessages,
        }: {
          topicMessages: { topic: string; messages: Message[] }[];
        }) => {
          sends += 1;
          concurrent += 1;
          maxConcurrent = Math.max(maxConcurrent, concurrent);
          for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve));
          concurrent -= 1;
          if (options.failOnSend === sends) throw new Error('broker said no');
          for (const t of topicMessages)
            for (const m of t.messages) sent.push(`${t.topic}:${String(m.key)}`);
          return [];
        },
        send: async ({ topic, messages }: { topic: string; messages: Message[] }) => {
          for (const m of messages) sent.push(`${topic}:${String(m.key)}`);
          return [];
        },
        commit: async () => {
          active = false;
          log.push(`commit ${sent.length}`);
        },
        abort: async () => {
          active = false;
          log.push('abort');
        },
        isActive: () => active,
      };
      return tx as unknown as Transaction;
    },
  };
  return {
    producer,
    sent,
    log,
    stats: () => ({ sends, maxConcurrent, transactions }),
  };
}

const record = (key: string, bytes: number): Message => ({ key, value: 'x'.repeat(bytes) });

describe('emission of result records', () => {
  it('never holds more than about two requests of records, however long the chunk', async () => {
    const fake = fakeProducer();
    // 1,000-byte records (+64 estimated overhead), 10 KB requests: ~10 lines per request.
    const emission = createEmission({
      producer: fake.producer,
      topics: { results: 'results', status: 'status' },
      maxBytes: 10_000,
    });
    let maxHeld = 0;
    for (let i = 0; i < 500; i += 1) {
      await emission.add(record(`r${i}`, 1000), record(`s${i}`, 1000));
      maxHeld = Math.max(maxHeld, emission.held());
    }
    await emission.commit(async (tx) => {
      await tx.send({ topic: 'batches', messages: [{ key: 'progress', value: '500' }] });
    });
    // 10 lines (20 records) being built + 10 lines in flight, never the 1,000 records of the chunk.
    expect(maxHeld).toBeLessThanOrEqual(40);
    expect(maxHeld).toBeGreaterThan(0);
    expect(emission.held()).toBe(0);
    expect(fake.stats().maxConcurrent).toBe(1);
    expect(fake.stats().sends).toBeGreaterThanOrEqual(50);
    expect(fake.stats().transactions).toBe(1);
    // Everything, in order per topic, then the progress record, then one commit.
    expect(fake.sent.filter((s) => s.startsWith('results:'))).toEqual(
      Array.from({ length: 500 }, (_, i) => `results:r${i}`),
    );
    expect(fake.sent.filter((s) => s.startsWith('status:'))).toEqual(
      Array.from({ length: 500 }, (_, i) => `status:s${i}`),
    );
    expect(fake.sent.at(-1)).toBe('batches:progress');
    expect(fake.log).toEqual(['commit 1001']);
  });

  it('begins a new transaction after a commit', async () => {
    const fake = fakeProducer();
    const emission = createEmission({
      producer: fake.producer,
      topics: { results: 'results', status: 'status' },
    });
    await emission.add(record('a', 10), record('a', 10));
    expect(emission.open()).toBe(false); // nothing sent yet: no transaction needed
    await emission.commit();
    await emission.add(record('b', 10), record('b', 10));
    await emission.commit();
    expect(fake.stats().transactions).toBe(2);
    expect(fake.log).toEqual(['commit 2', 'commit 4']);
  });

  it('surfaces a failed request and aborts without committing', async () => {
    const fake = fakeProducer({ failOnSend: 2 });
    const emission = createEmission({
      producer: fake.producer,
      topics: { results: 'results', status: 'status' },
      maxBytes: 2_000,
    });
    const run = async () => {
      for (let i = 0; i < 100; i += 1)
        await emission.add(record(`r${i}`, 1000), record(`s${i}`, 1000));
      await emission.commit();
    };
    await expect(run()).rejects.toThrow('broker said no');
    await emission.abort();
    expect(fake.log).toEqual(['abort']);
    expect(emission.held()).toBe(0);
    expect(emission.open()).toBe(false);
  });
});
