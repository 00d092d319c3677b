import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
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

/**
 * Requests Node's HTTP parser refuses before fastify sees them (bare CR/LF or NUL in a header,
 * obs-fold, Content-Length with Transfer-Encoding, headers over the size limit, a request that
 * took too long) are answered as problems too, in place of fastify's default
 * `{"error":...,"statusCode":...}` (`defaultClientErrorHandler` in fastify.js, which this
 * follows otherwise: nothing to do on a reset or destroyed socket, write when writable, then
 * destroy the connection, since the parser cannot continue on it).
 */
export function clientErrorHandler(
  this: { log: { debug: (obj: object, msg: string) => void } },
  error: Error & { code?: string },
  socket: Socket,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const problem =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new ProblemError(408, {
          code: 'request_timeout',
          detail: 'The request was not received in time.',
        })
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? new ProblemError(431, {
            code: 'headers_too_large',
            detail: 'The request headers are larger than this server accepts.',
          })
        : new ProblemError(400, {
            code: 'malformed_request',
            detail:
              'The request is not valid HTTP/1.1 (for example a header with CR, LF or NUL in its value, a folded header line, or both Content-Length and Transfer-Encoding).',
          });
  this.log.debug(
    { status: problem.status, code: problem.code, parser: error.code },
    'request rejected',
  );
  if (socket.writable) {
    const body = JSON.stringify(problemBody(problem));
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? 'Error'}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(error);
}
