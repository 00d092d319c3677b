import {
  startThrowawayBroker,
  testKafka,
  createTestTopic,
  type ThrowawayBroker,
} from '../src/index.ts';

describe('throwaway broker', () => {
  let broker: ThrowawayBroker | undefined;

  afterAll(async () => {
    await broker?.destroy();
  });

  it('runs beside the shared broker on its own ports, and keeps its data across stop and start', async () => {
    broker = await startThrowawayBroker();
    expect(broker.brokers).toEqual([`127.0.0.1:${broker.port}`]);
    const kafka = testKafka(broker.brokers);
    const admin = kafka.admin();
    await admin.connect();
    const topic = await createTestTopic(admin, { partitions: 2 });
    await admin.disconnect();

    await broker.stop();
    const down = testKafka(broker.brokers).admin();
    await expect(down.connect()).rejects.toThrow();

    await broker.start();
    const again = testKafka(broker.brokers).admin();
    await again.connect();
    try {
      expect(await again.listTopics()).toContain(topic);
    } finally {
      await again.disconnect();
    }
  }, 240_000);
});
