import type { Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { ATTR_PIPELINE_BATCH_ID, ATTR_PIPELINE_BATCH_SIZE } from '@claude-pipeline/telemetry';
import { ApiError, invalidRequest, isApiError, notFound } from '../errors.ts';
import { applyHttpFaults } from '../faults/http-faults.ts';
import { contextOf } from '../http/request-context.ts';
import { firstUserTextOf, parseMessagesRequest } from '../messages/messages-request.ts';
import type { SimServices } from '../services.ts';
import { withRequestSpan } from '../tracing.ts';
import { parseOrThrow } from '../validation.ts';
import type { BatchEntry, BatchRecord } from './batch-store.ts';
import { createBatchSchema, listBatchesQuerySchema, MAX_BATCH_BODY_BYTES } from './batch.schema.ts';

/** Results are written in chunks of this many lines. */
const RESULT_LINES_PER_CHUNK = 256;

/** `results_url` base: the configured public URL, else where this request reached the sim. */
const baseUrlOf = (services: SimServices, request: FastifyRequest): string =>
  services.config.publicUrl ?? `${request.protocol}://${request.host}`;

function entryOf(
  services: SimServices,
  item: { custom_id: string; params: Record<string, unknown> },
): BatchEntry {
  const model = typeof item.params['model'] === 'string' ? item.params['model'] : undefined;
  const base = { customId: item.custom_id, model, firstUserText: firstUserTextOf(item.params) };
  if (item.params['stream'] === true) {
    return {
      ...base,
      request: undefined,
      error: invalidRequest('stream: batch requests cannot be streamed'),
    };
  }
  try {
    return {
      ...base,
      request: parseMessagesRequest(item.params, services.models),
      error: undefined,
    };
  } catch (error) {
    if (!isApiError(error)) throw error;
    return { ...base, request: undefined, error };
  }
}

export function registerBatchRoutes(app: FastifyInstance, services: SimServices): void {
  const { batches } = services;

  /** Latency and faults of the `batches` endpoint, inside the request's span. */
  const handle = (
    name: string,
    fn: (request: FastifyRequest, reply: FastifyReply, span: Span) => Promise<unknown>,
  ) => {
    return async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
      const ctx = contextOf(request);
      return withRequestSpan(`anthropic-sim ${name}`, request.headers, {}, async (span) => {
        const outcome = await applyHttpFaults(services, ctx, reply, { endpoint: 'batches' });
        if (outcome.handled) return reply;
        const id = (request.params as { id?: string }).id;
        if (id !== undefined) span.setAttribute(ATTR_PIPELINE_BATCH_ID, id);
        // The synchronous part of the handler (validation, the store) is the sim's processing.
        return ctx.measure(() => fn(request, reply, span));
      });
    };
  };

  const find = (request: FastifyRequest): BatchRecord => {
    const { id } = request.params as { id: string };
    const record = batches.get(id);
    if (record === undefined) throw notFound(`Message Batch ${id} not found`);
    return record;
  };

  app.post(
    '/v1/messages/batches',
    { bodyLimit: MAX_BATCH_BODY_BYTES, config: { endpoint: 'batches.create', api: true } },
    handle('batches.create', async (request, _reply, span) => {
      const body = parseOrThrow(createBatchSchema, request.body);
      const seen = new Set<string>();
      for (const item of body.requests) {
        if (seen.has(item.custom_id)) {
          throw invalidRequest(
            `requests: custom_id values must be unique within a batch; found duplicate: ${item.custom_id}`,
          );
        }
        seen.add(item.custom_id);
      }
      span.setAttribute(ATTR_PIPELINE_BATCH_SIZE, body.requests.length);
      const record = batches.create(body.requests.map((item) => entryOf(services, item)));
      span.setAttribute(ATTR_PIPELINE_BATCH_ID, record.id);
      services.stats.batch('created');
      request.log.debug({ batch_id: record.id, requests: body.requests.length }, 'batch created');
      return batches.view(record, baseUrlOf(services, request));
    }),
  );

  app.get(
    '/v1/messages/batches',
    { config: { endpoint: 'batches.list', api: true } },
    handle('batches.list', async (request) => {
      const query = parseOrThrow(listBatchesQuerySchema, request.query);
      if (query.before_id !== undefined && query.after_id !== undefined) {
        throw invalidRequest('before_id and after_id cannot both be set');
      }
      const all = batches.list();
      let start = 0;
      let end = all.length;
      if (query.after_id !== undefined) {
        start = all.findIndex((r) => r.id === query.after_id) + 1;
        if (start === 0) start = all.length;
        end = Math.min(all.length, start + query.limit);
      } else if (query.before_id !== undefined) {
        const at = all.findIndex((r) => r.id === query.before_id);
        end = at < 0 ? 0 : at;
        start = Math.max(0, end - query.limit);
      } else {
        end = Math.min(all.length, query.limit);
      }
      const page = all.slice(start, end);
      const hasMore = query.before_id !== undefined ? start > 0 : end < all.length;
      const baseUrl = baseUrlOf(services, request);
      return {
        data: page.map((r) => batches.view(r, baseUrl)),
        has_more: hasMore,
        first_id: page[0]?.id ?? null,
        last_id: page.at(-1)?.id ?? null,
      };
    }),
  );

  app.get(
    '/v1/messages/batches/:id',
    { config: { endpoint: 'batches.retrieve', api: true } },
    handle('batches.retrieve', async (request) =>
      batches.view(find(request), baseUrlOf(services, request)),
    ),
  );

  app.post(
    '/v1/messages/batches/:id/cancel',
    { config: { endpoint: 'batches.cancel', api: true } },
    handle('batches.cancel', async (request) => {
      const record = find(request);
      const wasCanceling = record.cancelInitiatedAt !== undefined;
      if (!batches.cancel(record)) {
        throw invalidRequest(`Message Batch ${record.id} has already ended and cannot be canceled`);
      }
      if (!wasCanceling) services.stats.batch('canceled');
      return batches.view(record, baseUrlOf(services, request));
    }),
  );

  app.delete(
    '/v1/messages/batches/:id',
    { config: { endpoint: 'batches.delete', api: true } },
    handle('batches.delete', async (request) => {
      const record = find(request);
      if (record.endedAt === undefined) {
        throw invalidRequest(
          `Message Batch ${record.id} cannot be deleted while it is processing; cancel it first`,
        );
      }
      batches.delete(record);
      services.stats.batch('deleted');
      return { id: record.id, type: 'message_batch_deleted' };
    }),
  );

  app.get(
    '/v1/messages/batches/:id/results',
    { config: { endpoint: 'batches.results', api: true } },
    handle('batches.results', async (request, reply, span) => {
      const record = find(request);
      if (record.endedAt === undefined) {
        throw new ApiError(
          400,
          `Message Batch ${record.id} has not ended yet; results are available once processing_status is "ended"`,
        );
      }
      span.setAttribute(ATTR_PIPELINE_BATCH_SIZE, record.entries.length);
      const lines = function* (): Generator<string> {
        let chunk: string[] = [];
        for (const result of batches.results(record)) {
          chunk.push(`${JSON.stringify(result)}\n`);
          if (chunk.length >= RESULT_LINES_PER_CHUNK) {
            yield chunk.join('');
            chunk = [];
          }
        }
        if (chunk.length > 0) yield chunk.join('');
      };
      return reply.type('application/binary').send(Readable.from(lines(), { objectMode: false }));
    }),
  );
}
