import { z } from 'zod';
import type { SchemaValidationError } from './errors.ts';

/** RFC 9457 problem details: every non-2xx answer of the HTTP API. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const problemSchema = z
  .looseObject({
    type: z
      .string()
      .min(1)
      .describe('URI reference identifying the problem type; `about:blank` for plain HTTP errors.'),
    title: z.string().describe('Short summary of the problem type.'),
    status: z.int().min(100).max(599).describe('HTTP status code.'),
    detail: z.string().optional().describe('Explanation specific to this occurrence.'),
    instance: z.string().optional().describe('URI reference of this occurrence.'),
    errors: z
      .array(
        z.object({
          pointer: z.string().describe('JSON Pointer into the request body.'),
          detail: z.string(),
        }),
      )
      .optional()
      .describe('Extension: each invalid field of a request body.'),
  })
  .describe('Problem details (RFC 9457). Unknown members are extensions and may be ignored.');
export type Problem = z.infer<typeof problemSchema>;

const TITLES = { 400: 'Bad Request', 422: 'Unprocessable Content' } as const;

/** A 400 (or 422) problem listing every invalid field of a request body. */
export function problemFromValidationError(
  error: SchemaValidationError,
  options: { status?: keyof typeof TITLES; instance?: string } = {},
): Problem {
  const status = options.status ?? 400;
  return {
    type: 'about:blank',
    title: TITLES[status],
    status,
    detail: `The request body is not a valid ${error.schemaName}.`,
    ...(options.instance === undefined ? {} : { instance: options.instance }),
    errors: error.issues.map((issue) => ({ pointer: issue.pointer, detail: issue.message })),
  };
}
