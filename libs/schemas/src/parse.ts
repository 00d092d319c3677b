import type { z } from 'zod';
import type { Contract } from './contracts.ts';
import { issuesFromZod, SchemaValidationError } from './errors.ts';

/**
 * Parse helpers: typed value or a {@link SchemaValidationError} naming the contract and every
 * invalid field. Callers never see raw zod errors (the zod error stays reachable as `cause`).
 */

type Parseable<S extends z.ZodType> = Contract<S> | S;

const isSchema = <S extends z.ZodType>(target: Parseable<S>): target is S => '_zod' in target;
const nameOf = (target: Parseable<z.ZodType>): string => (isSchema(target) ? 'value' : target.name);
const schemaOf = <S extends z.ZodType>(target: Parseable<S>): S =>
  isSchema(target) ? target : target.schema;

export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: SchemaValidationError };

export function safeParse<S extends z.ZodType>(
  target: Parseable<S>,
  input: unknown,
): ParseResult<z.output<S>> {
  const result = schemaOf(target).safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    error: new SchemaValidationError(nameOf(target), issuesFromZod(result.error), {
      cause: result.error,
    }),
  };
}

/** Parse or throw a {@link SchemaValidationError}. */
export function parse<S extends z.ZodType>(target: Parseable<S>, input: unknown): z.output<S> {
  const result = safeParse(target, input);
  if (!result.ok) throw result.error;
  return result.value;
}

export type RawValue = string | Uint8Array | null | undefined;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Decode a Kafka value or HTTP body (UTF-8 JSON) and parse it; bad JSON is a validation error too. */
export function safeDecode<S extends z.ZodType>(
  target: Parseable<S>,
  raw: RawValue,
): ParseResult<z.output<S>> {
  const fail = (message: string, cause?: unknown): ParseResult<never> => ({
    ok: false,
    error: new SchemaValidationError(nameOf(target), [{ pointer: '', message }], { cause }),
  });
  if (raw === null || raw === undefined) return fail('no value (tombstone or empty body)');
  let text: string;
  try {
    text = typeof raw === 'string' ? raw : decoder.decode(raw);
  } catch (error) {
    return fail('value is not valid UTF-8', error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail(`value is not JSON: ${(error as Error).message}`, error);
  }
  return safeParse(target, json);
}

/** Decode and parse, or throw a {@link SchemaValidationError}. */
export function decode<S extends z.ZodType>(target: Parseable<S>, raw: RawValue): z.output<S> {
  const result = safeDecode(target, raw);
  if (!result.ok) throw result.error;
  return result.value;
}

/**
 * Validate a value and serialize it as JSON, for producers: a record that would be rejected by
 * its consumers fails here, at the producer, with the field named.
 */
export function encode<S extends z.ZodType>(target: Parseable<S>, value: z.input<S>): string {
  return JSON.stringify(parse(target, value));
}
