import {
  contracts,
  isJobId,
  problemFromValidationError,
  safeParse,
  type JobSubmissionResponse,
} from '@claude-pipeline/schemas';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeyAuthenticator } from '../auth/api-keys.ts';
import { ProblemError, type ProblemField } from '../errors.ts';
import { apiEvent } from '../events/event-record.ts';
import { API_SCOPE, randomIdempotencyKey, scopedIdempotencyKey } from '../ids.ts';
import type { CatchUpTracker } from '../status/catch-up.ts';
import { acceptedResponse } from '../status/recently-accepted.ts';
import { statusResponse, type StatusView } from '../status/status-view.ts';
import type { StreamTokenSigner } from '../stream/stream-token.ts';
import {
  acceptEvent,
  countingOutcome,
  RETRY_AFTER_SECONDS,
  statusUrl,
  type AcceptDeps,
} from './accept.ts';
import { correlationIdOf, idempotencyKeyOf, parseJson, rawBodyOf } from './request-context.ts';
import { streamUrl } from './stream.routes.ts';

export interface JobsRouteDeps extends AcceptDeps {
  auth: ApiKeyAuthenticator;
  view: StatusView;
  tracker: Pick<CatchUpTracker, 'caughtUp'>;
  publicUrl: string | undefined;
  defaults: { maxTokens: number; taskClass: string };
  streamTokens: StreamTokenSigner;
}

const UNAUTHORIZED = () =>
  new ProblemError(401, {
    code: 'invalid_api_key',
    detail: 'Send a valid API key as "Authorization: Bearer <key>".',
    headers: { 'www-authenticate': 'Bearer' },
  });

/** `POST /v1/jobs` and `GET /v1/jobs/:id`: bearer API keys, each acting for one tenant. */
export function registerJobRoutes(app: FastifyInstance, deps: JobsRouteDeps): void {
  // Authenticated before the body is read: an unknown caller cannot make us buffer 1 MB.
  const tenants = new WeakMap<FastifyRequest, string>();
  const authenticate = async (request: FastifyRequest) => {
    const tenant = deps.auth.tenantOf(request.headers.authorization);
    if (tenant === undefined) {
      if (request.method === 'POST') {
        deps.metrics.events.inc({ source: API_SCOPE, outcome: 'rejected' });
      }
      throw UNAUTHORIZED();
    }
    tenants.set(request, tenant);
  };
  const tenantOf = (request: FastifyRequest): string => {
    const tenant = tenants.get(request);
    if (tenant === undefined) throw UNAUTHORIZED();
    return tenant;
  };

  app.post('/v1/jobs', { onRequest: authenticate }, async (request, reply) =>
    countingOutcome(deps.metrics, API_SCOPE, async () => {
      const tenant = tenantOf(request);
      const key = idempotencyKeyOf(request);
      const json = parseJson(rawBodyOf(request));
      const submission = safeParse(contracts.jobSubmission, json);
      if (!submission.ok) {
        const problem = problemFromValidationError(submission.error, { status: 422 });
        throw new ProblemError(422, {
          code: 'invalid_job_submission',
          detail: problem.detail ?? 'The request body is not a valid job submission.',
          ...(problem.errors === undefined ? {} : { errors: problem.errors as ProblemField[] }),
        });
      }
      const record = apiEvent(
        submission.value,
        {
          tenant,
          idempotencyKey: scopedIdempotencyKey(API_SCOPE, key ?? randomIdempotencyKey()),
          correlationId: correlationIdOf(request),
          receivedAt: new Date(deps.now()),
        },
        deps.defaults,
      );
      const event = await acceptEvent(request, record, deps, API_SCOPE);
      const body: JobSubmissionResponse = {
        id: event.jobId,
        status_url: statusUrl(deps.publicUrl, event.jobId),
        ...(submission.value.stream === true
          ? {
              stream_url: streamUrl(
                deps.publicUrl,
                event.jobId,
                deps.streamTokens.sign(event.jobId, tenant),
              ),
            }
          : {}),
      };
      return reply
        .code(202)
        .header('location', body.status_url)
        .header('correlation-id', event.correlationId)
        .send(body);
    }),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/jobs/:id',
    { onRequest: authenticate },
    async (request, reply) => {
      const tenant = tenantOf(request);
      const { id } = request.params;
      const notFound = new ProblemError(404, { code: 'job_not_found' });
      if (!isJobId(id)) throw notFound;
      // A state changes: no cache may keep it (and it is one tenant's).
      reply.header('cache-control', 'no-store');
      const record = deps.view.get(id);
      // Another tenant's job is answered exactly like a job that does not exist.
      if (record !== undefined) {
        if (record.tenant !== tenant) throw notFound;
        return reply.send(statusResponse(record));
      }
      const accepted = deps.accepted.get(id);
      if (accepted !== undefined && accepted.tenant === tenant) {
        return reply.send(acceptedResponse(id, accepted));
      }
      if (!deps.tracker.caughtUp) {
        // Still reading pipeline.status: "not found" may only mean "not read yet".
        throw new ProblemError(503, {
          code: 'status_view_loading',
          detail: 'Job states are still loading; retry shortly.',
          headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
        });
      }
      throw notFound;
    },
  );
}
