import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';

/**
 * The checks the API makes before reading a body: a credential (`x-api-key`, or
 * `Authorization: Bearer`, which is what the SDK sends for an API key since 1.x) and the
 * `anthropic-version` header.
 */
export function checkApiRequest(
  request: FastifyRequest,
  apiKeys: readonly string[] | undefined,
): void {
  const key = credentialOf(request);
  if (key === undefined) {
    throw new ApiError(401, 'x-api-key header is required');
  }
  if (apiKeys !== undefined && !apiKeys.includes(key)) {
    throw new ApiError(401, 'invalid x-api-key');
  }
  if (typeof request.headers['anthropic-version'] !== 'string') {
    throw new ApiError(400, 'anthropic-version: header is required');
  }
}

function credentialOf(request: FastifyRequest): string | undefined {
  const apiKey = request.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.trim() !== '') return apiKey.trim();
  const authorization = request.headers.authorization;
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  return bearer?.[1];
}
