/**
 * bench/stream/clients: the SSE clients of bench/stream/latency.ts, in a worker thread of their
 * own so that parsing thousands of events a second does not delay the producer's clock (and the
 * other way round). Receives the stream URLs, opens them all, records per delta the latency from
 * the time written in its text (wall clock, µs histogram), and answers with the results.
 */
import { parentPort, workerData } from 'node:worker_threads';
import hdr from 'hdr-histogram-js';
import { clock, openSse, type SseConnection } from '../../apps/ingest/test/sse-client.ts';

interface Input {
  urls: string[];
}

const port = parentPort;
if (port === null) throw new Error('bench/stream/clients runs as a worker thread');
const { urls } = workerData as Input;

const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000 });
let measuring = false;
let received = 0;
let measured = 0;

const started = clock();
const connections: SseConnection[] = await Promise.all(
  urls.map((url) =>
    openSse(url, {}, (event) => {
      if (event.event !== 'delta') return;
      received += 1;
      if (!measuring) return;
      const text = (JSON.parse(event.data) as { delta: { text: string } }).delta.text;
      const sentAt = Number(text.slice(0, text.indexOf('|')));
      histogram.recordValue(Math.max(1, Math.round((event.at - sentAt) * 1000)));
      measured += 1;
    }),
  ),
);
const openMs = clock() - started;
port.postMessage({
  type: 'open',
  openMs,
  failed: connections.filter((c) => c.status !== 200).length,
});

port.on('message', async (message: { type: string }) => {
  if (message.type === 'measure') measuring = true;
  if (message.type === 'stop') measuring = false;
  if (message.type === 'finish') {
    await Promise.race([
      Promise.all(connections.map((c) => c.closed)),
      new Promise((resolve) => setTimeout(resolve, 30_000)),
    ]);
    const ended = connections.filter((c) => c.events.at(-1)?.event === 'end').length;
    const q = (p: number) => histogram.getValueAtPercentile(p) / 1000;
    port.postMessage({
      type: 'result',
      received,
      measured,
      ended,
      p50: q(50),
      p90: q(90),
      p99: q(99),
      p999: q(99.9),
      max: histogram.maxValue / 1000,
    });
    for (const connection of connections) connection.close();
    port.close();
  }
});
