import type { FastifyInstance } from 'fastify';
import { STREAM_PAGE } from './stream-page.ts';

/**
 * Local-development pages, registered only with `INGEST_DEV_MODE=true`.
 * `GET /dev/stream#<stream_url>`: renders a job's live stream in the browser (see stream-page.ts).
 */
export function registerDevRoutes(app: FastifyInstance): void {
  app.get('/dev/stream', async (_request, reply) =>
    reply.headers(STREAM_PAGE.headers).send(STREAM_PAGE.html),
  );
}
