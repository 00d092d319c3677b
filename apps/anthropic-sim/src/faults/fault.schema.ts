import { z } from 'zod';

/**
 * Fault rules, as given in `SIM_FAULTS` (a JSON array) and to `POST /_sim/faults`. Field names are
 * snake_case like the API the sim stands in for.
 *
 * Where a rule applies (`match.endpoint`):
 * - `messages`: `POST /v1/messages` (and `count_tokens`);
 * - `batches`: the Message Batches HTTP endpoints (create, retrieve, list, cancel, delete, results);
 * - `batch_request`: one request inside a batch, decided when the batch ends (`error` makes its
 *   result `errored`, `expire` makes it `expired`);
 * - unset: `batch_request` when `custom_id` is given, else both `messages` and `batch_request`.
 */
export const FAULT_ENDPOINTS = ['messages', 'batches', 'batch_request'] as const;
export type FaultEndpoint = (typeof FAULT_ENDPOINTS)[number];

const errorType = z.enum([
  'invalid_request_error',
  'authentication_error',
  'billing_error',
  'permission_error',
  'not_found_error',
  'request_too_large',
  'rate_limit_error',
  'timeout_error',
  'api_error',
  'overloaded_error',
]);

const nonNegative = z.number().finite().nonnegative();

export const faultActionSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('error'),
    /** HTTP status, 400–599 (e.g. 429, 500, 529). */
    status: z.number().int().min(400).max(599),
    /** Default: the API's type for the status. */
    error_type: errorType.optional(),
    message: z.string().optional(),
    /** `retry-after` header, seconds. */
    retry_after_s: nonNegative.optional(),
    /** `retry-after-ms` header (the SDK prefers it over `retry-after`), milliseconds. */
    retry_after_ms: nonNegative.optional(),
    /** `x-should-retry` header; default true for 408/409/429/5xx, false otherwise. */
    should_retry: z.boolean().optional(),
  }),
  /** Read the request, never answer: the connection stays open until the client gives up. */
  z.strictObject({ type: z.literal('hang') }),
  /** Destroy the connection without an answer (the client sees a reset socket). */
  z.strictObject({ type: z.literal('reset') }),
  /** Extra latency before answering, milliseconds. */
  z.strictObject({ type: z.literal('delay'), ms: nonNegative }),
  /** Streams only: after `after_events` content deltas, send `event: error` and end. */
  z.strictObject({
    type: z.literal('stream_error'),
    after_events: z.number().int().nonnegative().default(3),
    error_type: errorType.default('overloaded_error'),
    message: z.string().optional(),
  }),
  /** Streams only: after `after_events` content deltas, destroy the connection. */
  z.strictObject({
    type: z.literal('stream_reset'),
    after_events: z.number().int().nonnegative().default(3),
  }),
  /** Batch requests only: the request's result is `expired`. */
  z.strictObject({ type: z.literal('expire') }),
]);

export const faultMatchSchema = z.strictObject({
  endpoint: z.enum(FAULT_ENDPOINTS).optional(),
  model: z.string().min(1).optional(),
  /** The first user message's text contains this. */
  contains: z.string().min(1).optional(),
  /** A batch request's `custom_id` equals this. */
  custom_id: z.string().min(1).optional(),
  /** Only streaming (true) or only non-streaming (false) Messages requests. */
  stream: z.boolean().optional(),
});

export const faultRuleSchema = z.strictObject({
  match: faultMatchSchema.default({}),
  action: faultActionSchema,
  /** Applies this many times, then is removed. Default: no limit. */
  times: z.number().int().positive().optional(),
  /** Chance (0–1) that a matching request is hit; a miss does not use up `times`. Default 1. */
  probability: z.number().min(0).max(1).default(1),
});

export type FaultAction = z.infer<typeof faultActionSchema>;
export type FaultMatch = z.infer<typeof faultMatchSchema>;
export type FaultRuleInput = z.input<typeof faultRuleSchema>;
export type FaultRuleSpec = z.infer<typeof faultRuleSchema>;

/** Per endpoint, per status: the chance (0–1) that a request is answered with that error. */
export const errorRatesSchema = z.partialRecord(
  z.enum(['messages', 'batches']),
  z.record(
    z.string().regex(/^(4|5)\d\d$/, 'must be an HTTP error status'),
    z.number().min(0).max(1),
  ),
);
export type ErrorRates = z.infer<typeof errorRatesSchema>;

/** Extra latency before every API answer: fixed, or lognormal around a median. */
export const latencySchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('fixed'), ms: nonNegative }),
  z.strictObject({
    mode: z.literal('lognormal'),
    median_ms: nonNegative,
    /** Spread of ln(latency); 0.5 puts the 95th percentile at ~2.3× the median. */
    sigma: nonNegative,
    /** Samples are capped here, milliseconds. */
    max_ms: nonNegative.default(60_000),
  }),
]);
export type LatencySpec = z.infer<typeof latencySchema>;
