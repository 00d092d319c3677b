import type { FastifyInstance } from 'fastify';
import { notFound } from './errors.ts';
import type { ModelSpec } from './models.ts';
import type { SimServices } from './services.ts';
import type { ModelInfo } from './wire.types.ts';

const infoOf = (model: ModelSpec): ModelInfo => ({
  type: 'model',
  id: model.id,
  display_name: model.displayName,
  created_at: model.createdAt,
  max_tokens: model.maxOutputTokens,
  max_input_tokens: model.maxInputTokens,
  capabilities: null,
  deprecated_at: null,
  retires_at: null,
  lifecycle: 'active',
  line: null,
});

/** `GET /v1/models` (one page, newest first) and `GET /v1/models/:id`. */
export function registerModelRoutes(app: FastifyInstance, services: SimServices): void {
  app.get('/v1/models', { config: { endpoint: 'models.list', api: true } }, async () => {
    const data = services.models.list().map(infoOf);
    return {
      data,
      has_more: false,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
    };
  });

  app.get(
    '/v1/models/:id',
    { config: { endpoint: 'models.retrieve', api: true } },
    async (request) => {
      const { id } = request.params as { id: string };
      const model = services.models.find(id);
      if (model === undefined) throw notFound(`model: ${id}`);
      return infoOf(model);
    },
  );
}
