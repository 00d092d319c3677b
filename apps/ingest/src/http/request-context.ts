import { randomUUID } from 'node:crypto';
import { context, propagation, trace, type Context } from '@opentelemetry/api';
import { CORRELATION_ID_PATTERN } from '@claude-pipeline/schemas';
import type { FastifyRequest } from 'fastify';
import { ProblemError } from '../errors.ts';

/** Headers a caller may send its correlation id in, first match wins. */
const CORRELATION_HEADERS = ['correlation-id', 'x-correlation-id', 'x-request-id'] as const;

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value.trim() : undefined;
}

/** The caller's correlation id when it is one we can carry (printable ASCII), else a new one. */
export function correlationIdOf(request: FastifyRequest): string {
  for (const name of CORRELATION_HEADERS) {
    const value = single(request.headers[name]);
    if (value !== undefined && CORRELATION_ID_PATTERN.test(value)) return value;
  }
  return randomUUID();
}

/**
 * The parent of this request's spans: the active server span when the HTTP instrumentation made
 * one, else the caller's `traceparent`, so records continue the caller's trace either way.
 */
export function traceParentOf(request: FastifyRequest): Context {
  const active = context.active();
  if (trace.getSpan(active) !== undefined) return active;
  return propagation.extract(active, request.headers);
}

/** Printable ASCII; an IETF structured-field string (`"..."`) is unquoted. */
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,180}$/;

/** How many times a (lower-case) header name occurs in Node's raw `[name, value, ...]` list. */
function headerCount(rawHeaders: readonly string[] | undefined, name: string): number {
  let count = 0;
  for (let i = 0; i < (rawHeaders?.length ?? 0); i += 2) {
    if (rawHeaders?.[i]?.toLowerCase() === name) count += 1;
  }
  return count;
}

/** The `Idempotency-Key` header, or undefined; a bad one is a 400. */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  // Node joins repeated headers it does not know with ", " ("a" twice reads "a, a"), which would
  // silently become a third key: a key sent more than once is refused instead.
  if (headerCount(request.raw.rawHeaders, 'idempotency-key') > 1) {
    throw new ProblemError(400, {
      code: 'invalid_idempotency_key',
      detail: 'Send Idempotency-Key once.',
    });
  }
  let value = single(raw) ?? '';
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    value = value.slice(1, -1);
  }
  if (!IDEMPOTENCY_KEY.test(value) || value.trim() === '') {
    throw new ProblemError(400, {
      code: 'invalid_idempotency_key',
      detail: 'Idempotency-Key must be 1 to 180 printable ASCII characters.',
    });
  }
  return value;
}

/** The raw request bytes as the content-type parser kept them (empty when there was no body). */
export function rawBodyOf(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses the raw body as UTF-8 JSON; anything else is a 400. */
export function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) {
    throw new ProblemError(400, { code: 'malformed_json', detail: 'The request body is empty.' });
  }
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(raw));
  } catch {
    throw new ProblemError(400, {
      code: 'malformed_json',
      detail: 'The request body is not valid UTF-8 JSON.',
    });
  }
  if (nestingDepth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new ProblemError(422, {
      code: 'json_too_deep',
      detail: `The request body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep.`,
    });
  }
  return value;
}

/**
 * Deepest nesting a body may have. Real webhooks nest a handful of levels; deeper documents
 * only cost (a prompt renders them pretty-printed, recursion in JSON.stringify overflows the
 * stack at a few thousand levels), so they are refused before anything reads them.
 */
export const MAX_JSON_DEPTH = 64;

/** Nesting depth of a parsed JSON value (a scalar is 0), counted without recursion; stops past `limit`. */
export function nestingDepth(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [current, depth] = item;
    if (current === null || typeof current !== 'object') continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > limit) return deepest;
    for (const child of Object.values(current)) stack.push([child, level]);
  }
  return deepest;
}
