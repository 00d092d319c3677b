/**
 * bench/notifier/receivers: the benchmark's callback endpoints, in a process of their own so
 * their CPU (HTTP parsing, JSON) is not charged to the notifier's event loop. Started by
 * throughput.ts with `fork`; settings by env: RECEIVERS (count), HANG_FIRST=1 (the first never
 * answers). Sends `{ urls }` once listening, then answers every `count` message with the
 * number of requests each receiver got so far and the times of its first and last request. Closes on `close`.
 */
import { startReceiver, type Receiver } from '../../apps/notifier/test/support/receiver.ts';

const count = Number(process.env['RECEIVERS'] ?? 10);
const hangFirst = process.env['HANG_FIRST'] === '1';
const receivers: Receiver[] = [];
for (let i = 0; i < count; i += 1) {
  receivers.push(await startReceiver(hangFirst && i === 0 ? { respond: () => 'hang' } : {}));
}
const send = (message: unknown) => process.send?.(message);
send({ urls: receivers.map((r) => r.url) });
process.on('message', (message: { type: string }) => {
  if (message.type === 'count') {
    send({
      counts: receivers.map((r) => r.received.length),
      // First and last request time (epoch ms) of each receiver, for the steady-state rate.
      spans: receivers.map((r) => [r.received[0]?.at ?? 0, r.received.at(-1)?.at ?? 0]),
    });
  } else if (message.type === 'close') {
    void Promise.all(receivers.map((r) => r.close())).then(() => process.exit(0));
  }
});
