import { DLQ_HEADERS } from '@claude-pipeline/schemas';
import { DLQ_TRUNCATED, DLQ_VALUE_BYTES } from '@claude-pipeline/kafka';
import type { Producer } from 'kafkajs';
import { resultFor, startHarness, statusesOf, waitFor, type Harness } from './support/harness.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';

/**
 * Records near the topics' size limit (the broker default `max.message.bytes`, 1,048,588 bytes:
 * the catalog sets none for `pipeline.results`, the retry stages or the DLQ). The notifier's
 * dead letters of several such records share produce requests with each other and with status
 * records: a request the broker rejects in part must neither wedge the idempotent producer
 * (OUT_OF_ORDER_SEQUENCE_NUMBER on every later send) nor lose a record, and a dead letter that
 * would not fit (the DLQ headers come on top of the original) is truncated with a marker.
 */
const KIB = 1024;
/** Just under the broker default, so the record fits on the source topic, not with DLQ headers. */
const NEAR_LIMIT = 1_048_588 - 150;

describe('records near the size limit (real broker)', () => {
  let h: Harness;
  let producer: Producer;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    // Three DLQ partitions: a produce request spans several of them (as in production).
    h = await startHarness({ auxPartitions: 3 });
    producer = h.kafka.producer({ idempotent: true });
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
    await h.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('poison records of 512 KiB and near the limit are all dead-lettered (truncated only when they must be), and deliveries go on', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const statuses = await h.read(h.names.status);
    const dlq = await h.read(h.names.dlq('notifier'));

    // Poison (not JSON): straight to the DLQ. One produce request per record on our side.
    const poison = (key: string, bytes: number, fill: string) => ({
      key,
      value: Buffer.alloc(bytes, fill),
    });
    const half = Array.from({ length: 8 }, (_, i) => poison(`half-${i}`, 512 * KIB, 'a'));
    const near = Array.from({ length: 2 }, (_, i) => poison(`near-${i}`, NEAR_LIMIT, 'b'));
    for (const message of [...half, ...near]) {
      await producer.send({ topic: h.names.results, acks: -1, messages: [message] });
    }
    const before = Array.from({ length: 30 }, () => resultFor(`${receiver.url}/cb`, 'before'));
    await h.sendResults(before);

    await h.start({ NOTIFIER_MAX_IN_FLIGHT: '64' });

    await waitFor(() => new Set(dlq.map((r) => r.key)).size === half.length + near.length, {
      timeoutMs: 45_000,
      description: `${half.length + near.length} dead letters`,
    });
    for (const sent of half) {
      const letters = dlq.filter((r) => r.key === sent.key);
      // At least once: a request rejected in part may be re-sent whole.
      expect(letters.length).toBeGreaterThanOrEqual(1);
      for (const letter of letters) {
        expect(letter.value).toBe(sent.value.toString());
        expect(letter.headers[DLQ_HEADERS.errorClass]).toBe('invalid');
        expect(letter.headers[DLQ_TRUNCATED]).toBeUndefined();
      }
    }
    for (const sent of near) {
      const letters = dlq.filter((r) => r.key === sent.key);
      expect(letters.length).toBeGreaterThanOrEqual(1);
      for (const letter of letters) {
        expect(letter.headers[DLQ_HEADERS.errorClass]).toBe('invalid');
        // The reason survives; the value is cut, marked, and its original size kept.
        expect(letter.headers[DLQ_HEADERS.errorMessage]).toMatch(/JSON|json|parse|Unexpected/);
        expect(letter.headers[DLQ_TRUNCATED]).toBe('true');
        expect(letter.headers[DLQ_VALUE_BYTES]).toBe(String(NEAR_LIMIT));
        expect(letter.value.length).toBeLessThan(NEAR_LIMIT);
        expect(sent.value.toString().startsWith(letter.value)).toBe(true);
      }
    }

    // The producer is not poisoned: results sent afterwards are delivered and reported.
    const after = Array.from({ length: 30 }, () => resultFor(`${receiver.url}/cb`, 'after'));
    await h.sendResults(after);
    const all = [...before, ...after];
    await waitFor(
      () => all.every((r) => statusesOf(statuses, r.job_id).some((s) => s.state === 'delivered')),
      { timeoutMs: 45_000, description: `${all.length} delivered statuses` },
    );
    const delivered = new Set(receiver.received.map((r) => r.id));
    for (const r of all) expect(delivered.has(`${r.job_id}.1`)).toBe(true);
  });
});
