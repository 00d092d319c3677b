import type { FastifyError, FastifyReply } from 'fastify';
import { ApiError, isApiError } from '../errors.ts';

/** The API's error body: `{"type":"error","error":{"type","message"},"request_id"}`. */
export interface ErrorBody {
  type: 'error';
  error: { type: string; message: string };
  request_id: string | null;
}

export const errorBody = (error: ApiError, requestId: string | null): ErrorBody => ({
  type: 'error',
  error: { type: error.type, message: error.message },
  request_id: requestId,
});

/** Maps anything thrown in a route to what the API would answer. */
export function toApiError(error: unknown): ApiError {
  if (isApiError(error)) return error;
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, undefined, { cause: error });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(400, 'Request body must be JSON (content-type: application/json)', {
        cause: error,
      });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, 'There was an issue with your request body: it is empty', {
        cause: error,
      });
    default:
      break;
  }
  if (fastifyError.statusCode === 400 || error instanceof SyntaxError) {
    return new ApiError(400, 'There was an issue with your request body: invalid JSON', {
      cause: error,
    });
  }
  return new ApiError(500, undefined, { cause: error });
}

/**
 * Sends an error as the API does: status, body, `request-id` (already on the reply), and
 * `x-should-retry` saying what the SDK would decide anyway, unless the error set it.
 */
export function sendApiError(
  reply: FastifyReply,
  error: ApiError,
  extraHeaders: Readonly<Record<string, string>> = {},
): FastifyReply {
  return reply
    .code(error.status)
    .headers({ 'x-should-retry': String(error.retriable), ...extraHeaders, ...error.headers })
    .type('application/json')
    .send(errorBody(error, reply.request.id));
}
