import { isWebhookVerificationError } from '@claude-pipeline/signing';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProblemError } from '../errors.ts';
import { webhookEvent } from '../events/event-record.ts';
import { scopedIdempotencyKey } from '../ids.ts';
import { renderJob, routeMatches } from '../webhooks/prompt-template.ts';
import type { WebhookSource } from '../webhooks/webhook-source.ts';
import { acceptEvent, countingOutcome, statusUrl, type AcceptDeps } from './accept.ts';
import { correlationIdOf, parseJson, rawBodyOf } from './request-context.ts';

export interface WebhooksRouteDeps extends AcceptDeps {
  sources: ReadonlyMap<string, WebhookSource>;
  publicUrl: string | undefined;
  defaults: { maxTokens: number; taskClass: string };
}

type WebhookRequest = FastifyRequest<{ Params: { source: string } }>;

/** Answer to a verified webhook that maps to no job: acknowledged, nothing enqueued. */
export interface IgnoredResponse {
  status: 'ignored';
  reason: string;
}

/** Answer to a verified webhook that became a job (Kafka acked it). */
export interface AcceptedWebhookResponse {
  status: 'accepted';
  id: string;
  status_url: string;
}

/**
 * `POST /v1/webhooks/:source`. Order of checks: unknown source (404, before the body is read),
 * content type and size (415/413, while reading), signature over the raw bytes (401), JSON
 * (400), event type and route (200 ignored), delivery id and job (400/422), Kafka (202 or 503).
 */
export function registerWebhookRoutes(app: FastifyInstance, deps: WebhooksRouteDeps): void {
  const sourceOf = (request: WebhookRequest): WebhookSource => {
    const source = deps.sources.get(request.params.source);
    if (source === undefined) {
      throw new ProblemError(404, {
        code: 'unknown_source',
        detail: 'No webhook source of this name is configured.',
      });
    }
    return source;
  };

  app.post<{ Params: { source: string } }>(
    '/v1/webhooks/:source',
    {
      onRequest: async (request) => {
        sourceOf(request);
      },
    },
    async (request, reply) => {
      const source = sourceOf(request);
      return countingOutcome(deps.metrics, source.name, async () => {
        const raw = rawBodyOf(request);
        let deliveryFromSignature: string | undefined;
        try {
          deliveryFromSignature = source.verify(raw, request.headers).id;
        } catch (error) {
          if (!isWebhookVerificationError(error)) throw error;
          deps.metrics.verificationFailures.inc({ source: source.name, reason: error.reason });
          throw new ProblemError(401, {
            code: error.reason,
            detail: error.message,
            cause: error,
          });
        }

        const payload = parseJson(raw);
        if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
          throw new ProblemError(422, {
            code: 'invalid_payload',
            detail: 'The webhook payload must be a JSON object.',
          });
        }
        const eventType = source.eventType(request.headers, payload);
        if (eventType === undefined) {
          throw missing(source, 'eventType');
        }
        const route = source.route(eventType);
        if (route === undefined || !routeMatches(route, payload)) {
          deps.metrics.events.inc({ source: source.name, outcome: 'ignored' });
          const body: IgnoredResponse = {
            status: 'ignored',
            reason:
              route === undefined
                ? 'no route for this event type'
                : 'the route does not apply to this event',
          };
          return reply.code(200).send(body);
        }
        const deliveryId = source.deliveryId(request.headers, payload) ?? deliveryFromSignature;
        if (deliveryId === undefined) {
          throw missing(source, 'deliveryId');
        }
        const record = webhookEvent(
          renderJob(route, {
            source: source.name,
            eventType,
            payload,
            defaults: deps.defaults,
          }),
          {
            tenant: source.tenant,
            idempotencyKey: scopedIdempotencyKey(source.name, deliveryId),
            correlationId: correlationIdOf(request),
            receivedAt: new Date(deps.now()),
            source: source.name,
            eventType,
            deliveryId,
          },
        );
        const event = await acceptEvent(request, record, deps, source.name);
        const body: AcceptedWebhookResponse = {
          status: 'accepted',
          id: event.jobId,
          status_url: statusUrl(deps.publicUrl, event.jobId),
        };
        return reply.code(202).header('correlation-id', event.correlationId).send(body);
      });
    },
  );
}

/** A header is a 400 (the request is malformed); a payload field is a 422 (its content is). */
function missing(source: WebhookSource, what: 'eventType' | 'deliveryId'): ProblemError {
  const where = source.describe(what);
  const label = what === 'eventType' ? 'event type' : 'delivery id';
  const status = where.startsWith('header') ? 400 : 422;
  return new ProblemError(status, {
    code: what === 'eventType' ? 'missing_event_type' : 'missing_delivery_id',
    detail: `The ${label} (${where}) is missing or not text.`,
  });
}
