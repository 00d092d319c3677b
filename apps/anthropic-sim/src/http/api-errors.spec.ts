import { ApiError } from '../errors.ts';
import { errorBody, toApiError } from './api-errors.ts';

describe('API errors', () => {
  it('the body has the API shape', () => {
    expect(errorBody(new ApiError(529, undefined), 'req_1')).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
      request_id: 'req_1',
    });
  });

  it.each([
    [400, 'invalid_request_error', false],
    [401, 'authentication_error', false],
    [403, 'permission_error', false],
    [404, 'not_found_error', false],
    [413, 'request_too_large', false],
    [429, 'rate_limit_error', true],
    [500, 'api_error', true],
    [503, 'api_error', true],
    [529, 'overloaded_error', true],
    [418, 'invalid_request_error', false],
  ])('%d is %s, retriable %s', (status, type, retriable) => {
    const error = new ApiError(status, undefined);
    expect([error.type, error.retriable]).toEqual([type, retriable]);
  });

  it('maps fastify body errors and anything unexpected', () => {
    expect(
      toApiError(
        Object.assign(new Error('big'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }),
      ).status,
    ).toBe(413);
    expect(
      toApiError(
        Object.assign(new Error('bad'), {
          code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
          statusCode: 415,
        }),
      ).status,
    ).toBe(400);
    expect(
      toApiError(Object.assign(new SyntaxError('Unexpected token'), { statusCode: 400 })).message,
    ).toMatch(/invalid JSON/);
    expect(toApiError(new TypeError('boom'))).toMatchObject({
      status: 500,
      type: 'api_error',
      message: 'Internal server error',
    });
    const own = new ApiError(404, 'x');
    expect(toApiError(own)).toBe(own);
  });
});
