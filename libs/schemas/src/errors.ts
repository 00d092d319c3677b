import type { z } from 'zod';

/**
 * The one error this lib throws on purpose. Like kafkajs errors it carries `retriable` (always
 * false: the same bytes never become valid) and names what was being parsed, so a caller can log
 * it or turn it into a 400 / DLQ record without knowing zod.
 */
export interface ValidationIssue {
  /** JSON Pointer (RFC 6901) to the offending value; `''` for the whole document. */
  readonly pointer: string;
  readonly message: string;
}

const MAX_ISSUES_IN_MESSAGE = 5;

export class SchemaValidationError extends Error {
  readonly retriable = false;
  /** Name of the contract (`result-record`) or schema being parsed. */
  readonly schemaName: string;
  readonly issues: readonly ValidationIssue[];

  constructor(
    schemaName: string,
    issues: readonly ValidationIssue[],
    options: { cause?: unknown } = {},
  ) {
    const shown = issues
      .slice(0, MAX_ISSUES_IN_MESSAGE)
      .map((issue) => `${issue.pointer || '/'}: ${issue.message}`);
    if (issues.length > MAX_ISSUES_IN_MESSAGE) {
      shown.push(`and ${issues.length - MAX_ISSUES_IN_MESSAGE} more`);
    }
    super(
      `invalid ${schemaName}: ${shown.join('; ')}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'SchemaValidationError';
    this.schemaName = schemaName;
    this.issues = issues;
  }
}

export const isSchemaValidationError = (error: unknown): error is SchemaValidationError =>
  error instanceof SchemaValidationError;

const escapePointerToken = (token: PropertyKey): string =>
  String(token).replaceAll('~', '~0').replaceAll('/', '~1');

export const toJsonPointer = (path: readonly PropertyKey[]): string =>
  path.map((token) => `/${escapePointerToken(token)}`).join('');

/** Flatten zod issues (including those nested in unions) into pointer + message pairs. */
export function issuesFromZod(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    pointer: toJsonPointer(issue.path),
    message: issue.message,
  }));
}
