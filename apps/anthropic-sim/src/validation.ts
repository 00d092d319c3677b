import type { z } from 'zod';
import { invalidRequest, type ApiError } from './errors.ts';

/**
 * zod issues rendered the way the API words its 400s (it validates with pydantic):
 * `max_tokens: Field required`, `messages.0.role: Input should be 'user' or 'assistant'`,
 * `foo: Extra inputs are not permitted`. The API reports one problem; so does the sim (the first).
 */
type Issue = z.core.$ZodIssue;

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'string',
  number: 'number',
  int: 'integer',
  boolean: 'boolean',
  array: 'list',
  object: 'dictionary',
  record: 'dictionary',
};

const quoteList = (values: readonly unknown[]): string => {
  const quoted = values.map((v) => `'${String(v)}'`);
  return quoted.length <= 1
    ? (quoted[0] ?? "''")
    : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1) ?? ''}`;
};

const pathText = (path: readonly PropertyKey[]): string => path.map(String).join('.');

/** In a union, the branch that got furthest into the input explains the failure best. */
function deepest(issue: Issue & { code: 'invalid_union' }): Issue | undefined {
  let best: Issue | undefined;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first !== undefined && (best === undefined || first.path.length > best.path.length)) {
      best = first;
    }
  }
  return best === undefined ? undefined : { ...best, path: [...issue.path, ...best.path] };
}

function describe(issue: Issue): { path: readonly PropertyKey[]; message: string } {
  switch (issue.code) {
    case 'invalid_union': {
      const inner = deepest(issue);
      if (inner !== undefined) return describe(inner);
      const options = (issue as { options?: unknown[] }).options;
      const discriminator = (issue as { discriminator?: string }).discriminator;
      if (options !== undefined && discriminator !== undefined) {
        const tag = (issue.input as Record<string, unknown> | undefined)?.[discriminator];
        return {
          path: issue.path,
          message: `Input tag '${String(tag)}' found using '${discriminator}' does not match any of the expected tags: ${options.map((o) => `'${String(o)}'`).join(', ')}`,
        };
      }
      return { path: issue.path, message: 'Input does not match any of the accepted shapes' };
    }
    case 'invalid_type':
      return {
        path: issue.path,
        message:
          issue.input === undefined
            ? 'Field required'
            : `Input should be a valid ${TYPE_NAMES[issue.expected] ?? issue.expected}`,
      };
    case 'invalid_value':
      return { path: issue.path, message: `Input should be ${quoteList(issue.values)}` };
    case 'unrecognized_keys':
      return {
        path: [...issue.path, issue.keys[0] ?? ''],
        message: 'Extra inputs are not permitted',
      };
    case 'too_small':
      return {
        path: issue.path,
        message:
          issue.origin === 'array'
            ? `List should have at least ${String(issue.minimum)} item${issue.minimum === 1 ? '' : 's'} after validation, not ${String((issue.input as unknown[] | undefined)?.length ?? 0)}`
            : issue.origin === 'string'
              ? `String should have at least ${String(issue.minimum)} character${issue.minimum === 1 ? '' : 's'}`
              : `Input should be greater than or equal to ${String(issue.minimum)}`,
      };
    case 'too_big':
      return {
        path: issue.path,
        message:
          issue.origin === 'array'
            ? `List should have at most ${String(issue.maximum)} items after validation, not ${String((issue.input as unknown[] | undefined)?.length ?? 0)}`
            : issue.origin === 'string'
              ? `String should have at most ${String(issue.maximum)} characters`
              : `Input should be less than or equal to ${String(issue.maximum)}`,
      };
    default:
      return { path: issue.path, message: issue.message };
  }
}

/** The API's 400 for the first issue, with `prefix` before its path (e.g. a batch request). */
export function validationError(issues: readonly Issue[], prefix = ''): ApiError {
  const first = issues[0];
  if (first === undefined) return invalidRequest('Invalid request');
  const { path, message } = describe(first);
  const where = [prefix, pathText(path)].filter((p) => p !== '').join('.');
  return invalidRequest(where === '' ? message : `${where}: ${message}`);
}

/** Parses `value` with `schema` or throws the API's 400 for it. */
export function parseOrThrow<T extends z.ZodType>(
  schema: T,
  value: unknown,
  prefix = '',
): z.infer<T> {
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) throw validationError(result.error.issues, prefix);
  return result.data;
}
