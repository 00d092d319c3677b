import { STATUS_CODES } from 'node:http';
import { PROBLEM_CONTENT_TYPE, type Problem } from '@claude-pipeline/schemas';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { isProblemError, ProblemError } from '../errors.ts';

/**
 * Every non-2xx answer is `application/problem+json` (RFC 9457) with a machine-readable `code`
 * extension. Handlers throw `ProblemError`; fastify's own errors (body too large, unsupported
 * media type, no route) are mapped here, so no answer escapes in another shape.
 */
export type IngestProblem = Problem & { code: string };

export function problemBody(error: ProblemError): IngestProblem {
  return {
    type: 'about:blank',
    title: STATUS_CODES[error.status] ?? 'Error',
    status: error.status,
    code: error.code,
    ...(error.detail === undefined ? {} : { detail: error.detail }),
    ...(error.errors === undefined ? {} : { errors: [...error.errors] }),
  };
}

export function sendProblem(reply: FastifyReply, error: ProblemError): FastifyReply {
  return reply
    .code(error.status)
    .headers(error.headers)
    .type(PROBLEM_CONTENT_TYPE)
    .send(problemBody(error));
}

/** fastify's parsing errors, as problems. */
function fromFastify(error: FastifyError): ProblemError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ProblemError(413, {
        code: 'body_too_large',
        detail: 'The request body is larger than this endpoint accepts.',
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return new ProblemError(415, {
        code: 'unsupported_media_type',
        detail: 'Send the body as application/json.',
      });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ProblemError(400, { code: 'malformed_body', detail: error.message });
    default: {
      const status = error.statusCode;
      if (status !== undefined && status >= 400 && status < 500) {
        return new ProblemError(status, { code: 'bad_request' });
      }
      return undefined;
    }
  }
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = isProblemError(error) ? error : fromFastify(error);
    if (problem !== undefined) {
      request.log.info({ status: problem.status, code: problem.code }, 'request rejected');
      return sendProblem(reply, problem);
    }
    request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, new ProblemError(500, { code: 'internal_error' }));
  });
  app.setNotFoundHandler((_request, reply) =>
    sendProblem(reply, new ProblemError(404, { code: 'not_found' })),
  );
}
