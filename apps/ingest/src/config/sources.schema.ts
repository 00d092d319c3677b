import {
  callbackUrlSchema,
  jobModeSchema,
  maxTokensSchema,
  METADATA_LIMITS,
  modelIdSchema,
  taskClassSchema,
  temperatureSchema,
  TENANT_ID_PATTERN,
} from '@claude-pipeline/schemas';
import { z } from 'zod';
import { API_SCOPE } from '../ids.ts';

/**
 * The webhook sources file (`INGEST_SOURCES_FILE`, JSON). It holds no secret: each source names
 * the environment variables its secrets come from. Every object is strict, so a misspelt field
 * (or a `secrets` list pasted into the file) fails the boot instead of being ignored.
 */

/** `a.b.0.c`, optionally `$.`-prefixed: object keys and array indices, nothing fancier. */
export const PATH_PATTERN = /^(\$\.)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const pathSchema = z
  .string()
  .regex(PATH_PATTERN, 'expected a dot path like "pull_request.user.login"');

// RFC 9110 token characters.
const headerNameSchema = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name')
  .transform((name) => name.toLowerCase());

const envNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

/** Where a value comes from: a request header, or a field of the JSON payload. */
export const extractorSchema = z.union([
  z.strictObject({ header: headerNameSchema }),
  z.strictObject({ path: pathSchema }),
]);
export type Extractor = z.infer<typeof extractorSchema>;

/** Names of the fields of the untrusted payload shown to the model. */
const fieldNameSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/);
const scalarSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const DEFAULT_MAX_FIELD_CHARS = 20_000;

export const routeSchema = z
  .strictObject({
    /** Only events whose payload has one of these values at each path are enqueued. */
    when: z.record(pathSchema, z.array(scalarSchema).min(1)).optional(),
    /** Trusted: from this file only, never from the payload. */
    system: z.string().min(1).optional(),
    /** Trusted instruction that opens the user prompt. */
    instruction: z.string().min(1),
    /** Payload fields shown to the model (name → path), inside the untrusted-data delimiters. */
    fields: z.record(fieldNameSchema, pathSchema).default({}),
    /** Longest text of one field, in characters; longer values are cut and marked. */
    max_field_chars: z.int().min(1).max(200_000).default(DEFAULT_MAX_FIELD_CHARS),
    model: modelIdSchema.optional(),
    task_class: taskClassSchema.optional(),
    max_tokens: maxTokensSchema.optional(),
    temperature: temperatureSchema.optional(),
    mode: jobModeSchema.default('realtime'),
    callback_url: callbackUrlSchema.optional(),
    /** Fixed metadata echoed on the result and callback. */
    metadata: z.record(z.string().min(1).max(METADATA_LIMITS.maxKeyLength), z.string()).optional(),
    /** Metadata read from the payload (name → path); values are cut to the metadata limit. */
    metadata_fields: z
      .record(z.string().min(1).max(METADATA_LIMITS.maxKeyLength), pathSchema)
      .optional(),
  })
  .superRefine((route, ctx) => {
    if (route.model !== undefined && route.task_class !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['task_class'], message: 'give model or task_class' });
    }
    const keys = new Set([
      ...Object.keys(route.metadata ?? {}),
      ...Object.keys(route.metadata_fields ?? {}),
    ]);
    if (keys.size > METADATA_LIMITS.maxKeys) {
      ctx.addIssue({
        code: 'custom',
        path: ['metadata'],
        message: `at most ${METADATA_LIMITS.maxKeys} metadata keys in all`,
      });
    }
  });
export type RouteConfig = z.infer<typeof routeSchema>;

export const SOURCE_SCHEMES = [
  'standard-webhooks',
  'github',
  'stripe',
  'hmac',
  'anthropic',
] as const;
export type SourceScheme = (typeof SOURCE_SCHEMES)[number];

const hmacSchema = z.strictObject({
  header: headerNameSchema,
  prefix: z.string().optional(),
  encoding: z.enum(['hex', 'base64']),
  algorithm: z.enum(['sha256', 'sha1', 'sha512']).optional(),
  timestamp_header: headerNameSchema.optional(),
});

export const sourceSchema = z
  .strictObject({
    tenant: z.string().regex(TENANT_ID_PATTERN, 'expected a tenant id'),
    scheme: z.enum(SOURCE_SCHEMES),
    /** Environment variables holding the secrets, newest first (rotation: [new, old]). */
    secret_env: z.union([envNameSchema, z.array(envNameSchema).min(1)]),
    /** Seconds; the signing lib's default (300) when absent. Ignored by schemes without a timestamp. */
    tolerance_seconds: z.number().min(0).max(86_400).optional(),
    hmac: hmacSchema.optional(),
    /** Default per scheme: `webhook-id`, `x-github-delivery`, Stripe's event `id`. */
    idempotency_key: extractorSchema.optional(),
    /** Default per scheme: payload `type`, `x-github-event`, Anthropic's `data.type`. */
    event_type: extractorSchema.optional(),
    /** Event type → job template. An event type without a route is acknowledged and ignored. */
    routes: z.record(z.string().min(1).max(128), routeSchema),
  })
  .superRefine((source, ctx) => {
    if (source.scheme === 'hmac') {
      if (source.hmac === undefined) {
        ctx.addIssue({ code: 'custom', path: ['hmac'], message: 'scheme hmac needs "hmac"' });
      }
      for (const field of ['idempotency_key', 'event_type'] as const) {
        if (source[field] === undefined) {
          ctx.addIssue({ code: 'custom', path: [field], message: `scheme hmac needs "${field}"` });
        }
      }
    } else if (source.hmac !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['hmac'], message: 'only for scheme hmac' });
    }
  });
export type SourceFileEntry = z.infer<typeof sourceSchema>;

/** Source names appear in the URL and in idempotency keys (`<source>:<key>`). */
export const SOURCE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export const sourcesFileSchema = z.strictObject({
  sources: z.record(
    z
      .string()
      .regex(SOURCE_NAME_PATTERN, 'source names are lower-case letters, digits, "-" and "_"')
      .refine((name) => name !== API_SCOPE, `"${API_SCOPE}" is reserved for POST /v1/jobs`),
    sourceSchema,
  ),
});
export type SourcesFile = z.infer<typeof sourcesFileSchema>;
