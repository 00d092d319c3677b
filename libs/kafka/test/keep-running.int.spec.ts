/**
 * keepConsumerRunning against the real broker: a consumer that crashes with an error kafkajs does
 * not restart from (`restart: false`) stays stopped on its own, and is consuming again with it.
 */
import kafkajs, { type Consumer } from 'kafkajs';
import { createTestTopic, testKafka, uniqueName, waitFor } from '@claude-pipeline/testing';
import { keepConsumerRunning } from '../src/consumer/keep-running.ts';

const { KafkaJSNonRetriableError } = kafkajs;

async function crashOnce(withKeeper: boolean): Promise<{ seen: string[]; restarts: boolean[] }> {
  const kafka = testKafka();
  const admin = kafka.admin();
  const producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
  const consumer: Consumer = kafka.consumer({ groupId: uniqueName('keep-running') });
  let keeper: ReturnType<typeof keepConsumerRunning> | undefined;
  try {
    const topic = await createTestTopic(admin);
    await producer.send({
      topic,
      messages: Array.from({ length: 5 }, (_, i) => ({ value: `v${i}` })),
    });
    const seen: string[] = [];
    const restarts: boolean[] = [];
    let fail = true;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      restarts.push(payload.restart);
    });
    const run = async () => {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          if (fail) {
            fail = false;
            // What kafkajs raises itself for "Failed to find group coordinator" after retries.
            throw new KafkaJSNonRetriableError('the group coordinator went away');
          }
          for (const m of batch.messages) seen.push(m.value?.toString() ?? '');
        },
      });
    };
    await run();
    if (withKeeper) {
      keeper = keepConsumerRunning(consumer, {
        start: run,
        stopping: () => false,
        initialDelayMs: 200,
      });
    }
    await waitFor(() => restarts.length > 0, { description: 'the crash' });
    if (withKeeper) {
      await waitFor(() => seen.length === 5, { timeoutMs: 30_000, description: 'all 5 records' });
    } else {
      // kafkajs' own restart would have come after `retry.initialRetryTime` (300 ms).
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }
    return { seen, restarts };
  } finally {
    keeper?.dispose();
    await consumer.disconnect().catch(() => undefined);
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  }
}

describe('keepConsumerRunning (real broker)', () => {
  it('without it, a consumer kafkajs stopped for good consumes nothing more', async () => {
    const { seen, restarts } = await crashOnce(false);
    expect(restarts).toEqual([false]);
    expect(seen).toEqual([]);
  }, 60_000);

  it('with it, the same consumer is started again and reads every record', async () => {
    const { seen, restarts } = await crashOnce(true);
    expect(restarts[0]).toBe(false);
    expect(seen).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  }, 60_000);
});
