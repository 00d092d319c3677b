/**
 * bench/e2e/receiver: the callback endpoint of the end-to-end benchmark, a plain keep-alive
 * `node:http` server in a process of its own (forked by run.ts, so its CPU is not charged to
 * the orchestrator and it can be measured on its own). It answers 200 at once and records, per
 * `webhook-id`, the arrival time of the first request (epoch ms with sub-ms precision:
 * `performance.timeOrigin + performance.now()`, comparable across processes on one machine) and
 * how many requests carried it (more than one: a duplicate delivery).
 *
 * IPC: sends `{ type: 'listening', url }`; answers `{ type: 'stats' }` with
 * `{ type: 'stats', requests, unique }`, `{ type: 'dump' }` with `{ type: 'dump', ids, at, counts }`
 * (parallel arrays), `{ type: 'close' }` by exiting.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const first = new Map<string, number>();
const counts = new Map<string, number>();
let requests = 0;
const now = () => performance.timeOrigin + performance.now();

const server = createServer((req, res) => {
  // The arrival time: when the request's headers were parsed (the body is small).
  const at = now();
  const id = String(req.headers['webhook-id'] ?? '');
  req.resume();
  req.on('end', () => {
    requests += 1;
    if (!first.has(id)) first.set(id, at);
    counts.set(id, (counts.get(id) ?? 0) + 1);
    res.writeHead(200, { 'content-length': '0' }).end();
  });
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ type: 'listening', url: `http://127.0.0.1:${port}` });
});

process.on('message', (message: { type: string }) => {
  if (message.type === 'stats') {
    process.send?.({ type: 'stats', requests, unique: first.size });
  } else if (message.type === 'dump') {
    const ids = [...first.keys()];
    process.send?.({
      type: 'dump',
      ids,
      at: ids.map((id) => first.get(id) ?? 0),
      counts: ids.map((id) => counts.get(id) ?? 0),
    });
  } else if (message.type === 'close') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
