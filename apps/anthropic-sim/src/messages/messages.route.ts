import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
} from '@claude-pipeline/telemetry';
import { applyHttpFaults } from '../faults/http-faults.ts';
import { newId } from '../ids.ts';
import { contextOf, isAbortError, type RequestContext } from '../http/request-context.ts';
import type { SimServices } from '../services.ts';
import { withRequestSpan } from '../tracing.ts';
import { parseOrThrow } from '../validation.ts';
import type { Message } from '../wire.types.ts';
import { firstUserTextOf, parseMessagesRequest } from './messages-request.ts';
import { layoutPrompt } from './prompt-blocks.ts';
import { planReply } from './reply.planner.ts';
import { countTokensRequestSchema } from './request.schema.ts';
import { streamReply } from './sse.writer.ts';

/** Records the model on the context once it is one the sim serves (stats, rate-limit headers). */
function noteModel(services: SimServices, ctx: RequestContext, body: unknown): string | undefined {
  const model = (body as { model?: unknown } | null)?.model;
  if (typeof model === 'string' && services.models.find(model) !== undefined) ctx.model = model;
  return typeof model === 'string' ? model : undefined;
}

function recordUsage(services: SimServices, message: Message): void {
  const { usage, model } = message;
  const cacheCreation = usage.cache_creation_input_tokens ?? 0;
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  services.stats.tokens({
    input: usage.input_tokens,
    output: usage.output_tokens,
    cacheRead,
    cacheCreation,
  });
  const { tokens } = services.metrics;
  tokens.inc({ kind: 'input', model }, usage.input_tokens);
  tokens.inc({ kind: 'output', model }, usage.output_tokens);
  if (cacheRead > 0) tokens.inc({ kind: 'cache_read', model }, cacheRead);
  if (cacheCreation > 0) tokens.inc({ kind: 'cache_write', model }, cacheCreation);
}

async function createMessage(
  services: SimServices,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const ctx = contextOf(request);
  const body = request.body;
  const stream = (body as { stream?: unknown } | null)?.stream === true;
  const model = noteModel(services, ctx, body);
  const attributes = {
    [ATTR_GEN_AI_PROVIDER_NAME]: GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
    [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
    ...(model === undefined ? {} : { [ATTR_GEN_AI_REQUEST_MODEL]: model }),
  };
  return withRequestSpan(
    'anthropic-sim messages.create',
    request.headers,
    attributes,
    async (span) => {
      const faults = await applyHttpFaults(services, ctx, reply, {
        endpoint: 'messages',
        model,
        firstUserText: firstUserTextOf(body),
        stream,
      });
      if (faults.handled) return reply;

      // Everything up to the answer is synchronous work: timed as the sim's processing.
      const { parsed, plan, admission, headers, generation } = ctx.measure(() => {
        const parsed = parseMessagesRequest(body, services.models);
        const generation = services.generation.current;
        const layout = layoutPrompt(parsed, generation.charsPerToken);
        const cachePlan = services.cache.plan(parsed.model.id, layout);
        const { usage } = cachePlan;
        // Cache reads do not count towards the input-token limit; cache writes do (as on the API).
        const admission = services.limiter.admit(
          parsed.model.id,
          usage.uncachedTokens + usage.creation5mTokens + usage.creation1hTokens,
          parsed.body.max_tokens,
        );
        cachePlan.commit();
        const plan = planReply(parsed, {
          generation,
          cache: usage,
          messageId: newId('msg'),
          serviceTier: 'standard',
        });
        const { message } = plan;
        span.setAttributes({
          [ATTR_GEN_AI_RESPONSE_ID]: message.id,
          [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: [message.stop_reason ?? 'end_turn'],
          [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: message.usage.input_tokens,
          [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: message.usage.output_tokens,
          [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: usage.readTokens,
          [ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]:
            usage.creation5mTokens + usage.creation1hTokens,
        });
        recordUsage(services, message);
        const headers = {
          'request-id': ctx.requestId,
          ...services.limiter.headers(parsed.model.id),
        };
        return { parsed, plan, admission, headers, generation };
      });
      const { message } = plan;

      if (parsed.body.stream === true) {
        reply.hijack();
        let sent = 0;
        try {
          sent = await streamReply({
            res: reply.raw,
            plan,
            headers,
            generation,
            fault: faults.streamFault,
            ctx,
          });
        } catch (error) {
          // Headers are out: an error can only end the connection (the client sees it cut).
          if (isAbortError(error)) ctx.status = 'aborted';
          else request.log.error({ err: error }, 'stream failed');
          reply.raw.destroy();
        } finally {
          admission.settle(sent);
        }
        return reply;
      }

      // A non-streaming call takes as long as generating the whole reply would.
      const { tokensPerSecond, ttftMs } = generation;
      const generationMs =
        ttftMs + (tokensPerSecond > 0 ? (message.usage.output_tokens * 1000) / tokensPerSecond : 0);
      try {
        await ctx.sleep(generationMs);
      } finally {
        admission.settle(message.usage.output_tokens);
      }
      return ctx.measure(() => reply.headers(headers).send(message));
    },
  );
}

export function registerMessageRoutes(app: FastifyInstance, services: SimServices): void {
  app.post('/v1/messages', { config: { endpoint: 'messages', api: true } }, (request, reply) =>
    createMessage(services, request, reply),
  );

  app.post(
    '/v1/messages/count_tokens',
    { config: { endpoint: 'messages.count_tokens', api: true } },
    async (request, reply) => {
      const ctx = contextOf(request);
      noteModel(services, ctx, request.body);
      return withRequestSpan(
        'anthropic-sim messages.count_tokens',
        request.headers,
        {},
        async () => {
          const faults = await applyHttpFaults(services, ctx, reply, { endpoint: 'messages' });
          if (faults.handled) return reply;
          // Same validation as a create, with the generation parameters filled in.
          const body = parseOrThrow(countTokensRequestSchema, request.body);
          const parsed = parseMessagesRequest({ ...body, max_tokens: 1 }, services.models);
          const layout = layoutPrompt(parsed, services.generation.current.charsPerToken);
          return { input_tokens: layout.totalTokens };
        },
      );
    },
  );
}
