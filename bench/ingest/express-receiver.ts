/**
 * The comparison point of the ingest benchmark: the minimal in-memory GitHub webhook receiver
 * that many tutorials ship. Express 5, `express.json()` keeping the raw bytes for the HMAC,
 * a constant-time compare of `X-Hub-Signature-256`, then the parsed event is pushed onto an
 * array and the request answered 202.
 *
 * What it does NOT do (and ingest does): nothing is durable (a crash or deploy loses every
 * queued event, and the 202 promises nothing), no idempotency (a redelivered X-GitHub-Delivery
 * is a second event), no tenancy, no secret rotation, no event-type routing or prompt
 * templating, no schema checks, no back-pressure (the array grows until the process dies), no
 * metrics, traces or readiness. To keep the benchmark's memory bounded the array is emptied
 * once a second, as a tutorial's "process it later" loop would.
 *
 * Forked by run.ts; sends `{port}` once listening; `{type: 'exit'}` ends it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';

const secret = process.env['EXPRESS_WEBHOOK_SECRET'] ?? '';
const events: unknown[] = [];
let received = 0;

const app = express();
app.get('/healthz', (_req, res) => {
  res.json({ status: 'ok' });
});
app.post(
  '/webhooks/github',
  express.json({
    limit: '1mb',
    verify: (req, _res, buf) => {
      (req as unknown as { rawBody: Buffer }).rawBody = buf;
    },
  }),
  (req, res) => {
    const raw = (req as unknown as { rawBody?: Buffer }).rawBody ?? Buffer.alloc(0);
    const given = Buffer.from(req.get('x-hub-signature-256') ?? '');
    const expected = Buffer.from(
      `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`,
    );
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.status(401).json({ error: 'bad signature' });
      return;
    }
    events.push(req.body);
    received += 1;
    res.status(202).json({ status: 'accepted' });
  },
);

setInterval(() => {
  events.length = 0;
}, 1000).unref();

const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ type: 'listening', port });
});
server.keepAliveTimeout = 65_000;

process.on('message', (message: { type: string }) => {
  if (message.type === 'count') process.send?.({ type: 'count', received });
  if (message.type === 'exit') server.close(() => process.exit(0));
});
