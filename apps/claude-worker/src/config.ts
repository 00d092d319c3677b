import { kafkaSettingsFromEnv, RETRY_STAGES, type KafkaSettings } from '@claude-pipeline/kafka';
import { z } from 'zod';
import { DEFAULT_MODEL_ROUTES, DEFAULTS } from './defaults.ts';
import { WorkerConfigError } from './errors.ts';
import type { LimitSet } from './limiter/rate-limiter.ts';

/**
 * The worker's settings, parsed once at boot from the environment. A bad value stops the boot
 * with one line per variable, naming it; the API key never appears in a message.
 */
export interface WorkerConfig {
  kafka: KafkaSettings;
  groupId: string;
  http: { host: string; port: number };
  anthropic: { apiKey: string; baseURL: string; timeoutMs: number };
  maxInFlight: number;
  partitionWindow: number;
  retry: { delaysMs: readonly number[]; jitter: number; throttleInProcessMs: number };
  limits: {
    defaults: LimitSet;
    perModel: Readonly<Record<string, Partial<LimitSet>>>;
    headroom: number;
    requestBurstMs: number;
  };
  routing: { routes: Readonly<Record<string, string>>; defaultModel: string };
  caching: { thresholds: Readonly<Record<string, number>> };
  charsPerToken: number;
  /** Metadata key whose value orders jobs of one conversation (undefined: no ordering). */
  orderKey: string | undefined;
  sessionTimeoutMs: number;
  shutdownTimeoutMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

const unsetIfEmpty = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const positiveInt = (fallback: number) =>
  z.preprocess(unsetIfEmpty, z.coerce.number().int().positive().default(fallback));
const nonNegativeInt = (fallback: number) =>
  z.preprocess(unsetIfEmpty, z.coerce.number().int().nonnegative().default(fallback));

/** A JSON object from a variable, checked by `schema`. */
const jsonOf = <S extends z.ZodType>(schema: S, fallback: z.output<S>) =>
  z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .optional()
      .transform((text, ctx): z.output<S> => {
        if (text === undefined) return fallback;
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
          return z.NEVER;
        }
        const parsed = schema.safeParse(json);
        if (!parsed.success) {
          for (const issue of parsed.error.issues) {
            ctx.addIssue({
              code: 'custom',
              message: `${issue.path.map(String).join('.') || '(value)'}: ${issue.message}`,
            });
          }
          return z.NEVER;
        }
        return parsed.data;
      }),
  );

const MODEL_ID = /^[a-zA-Z0-9._:@-]{1,128}$/;
const modelId = z.string().regex(MODEL_ID, 'not a model id');
const perMinute = z.number().int().nonnegative();

const retryStages = RETRY_STAGES['claude-worker'];

/** Exported so the deploy checks can list and validate the worker's variables. */
export const envSchema = z.object({
  ANTHROPIC_API_KEY: z.preprocess(unsetIfEmpty, z.string().min(1).optional()),
  ANTHROPIC_BASE_URL: z.preprocess(unsetIfEmpty, z.url({ protocol: /^https?$/ }).optional()),
  WORKER_GROUP_ID: z.preprocess(unsetIfEmpty, z.string().min(1).optional()),
  WORKER_HOST: z.preprocess(unsetIfEmpty, z.string().min(1).default(DEFAULTS.host)),
  WORKER_PORT: z.preprocess(
    unsetIfEmpty,
    z.coerce.number().int().min(0).max(65_535).default(DEFAULTS.port),
  ),
  WORKER_MAX_IN_FLIGHT: positiveInt(DEFAULTS.maxInFlight),
  WORKER_PARTITION_WINDOW: positiveInt(DEFAULTS.partitionWindow),
  WORKER_TIMEOUT_MS: positiveInt(DEFAULTS.timeoutMs),
  WORKER_RETRY_DELAYS_MS: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .optional()
      .transform((text, ctx): readonly number[] => {
        if (text === undefined) return DEFAULTS.retryDelaysMs;
        const delays = text.split(',').map((d) => Number(d.trim()));
        if (delays.some((d) => !Number.isInteger(d) || d < 0)) {
          ctx.addIssue({ code: 'custom', message: 'comma-separated delays in ms (integers >= 0)' });
          return z.NEVER;
        }
        if (delays.length < 1 || delays.length > retryStages) {
          ctx.addIssue({
            code: 'custom',
            message: `1 to ${retryStages} delays (the topic catalog has ${retryStages} stages)`,
          });
          return z.NEVER;
        }
        return delays;
      }),
  ),
  WORKER_RETRY_JITTER: z.preprocess(
    unsetIfEmpty,
    z.coerce.number().min(0).max(1).default(DEFAULTS.retryJitter),
  ),
  WORKER_THROTTLE_IN_PROCESS_MS: nonNegativeInt(DEFAULTS.throttleInProcessMs),
  WORKER_RATE_LIMIT_RPM: nonNegativeInt(DEFAULTS.rpm),
  WORKER_RATE_LIMIT_ITPM: nonNegativeInt(DEFAULTS.itpm),
  WORKER_RATE_LIMIT_OTPM: nonNegativeInt(DEFAULTS.otpm),
  WORKER_RATE_LIMITS: jsonOf(
    z.record(
      modelId,
      z
        .object({
          rpm: perMinute.optional(),
          itpm: perMinute.optional(),
          otpm: perMinute.optional(),
        })
        .strict(),
    ),
    {},
  ),
  WORKER_RATE_LIMIT_HEADROOM: z.preprocess(
    unsetIfEmpty,
    z.coerce.number().gt(0).max(1).default(DEFAULTS.headroom),
  ),
  WORKER_REQUEST_BURST_MS: positiveInt(DEFAULTS.requestBurstMs),
  WORKER_MODEL_ROUTES: jsonOf(
    z.record(z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'not a task class'), modelId),
    DEFAULT_MODEL_ROUTES,
  ),
  WORKER_DEFAULT_MODEL: z.preprocess(unsetIfEmpty, modelId.default(DEFAULTS.defaultModel)),
  WORKER_CACHE_MIN_TOKENS: jsonOf(
    z.record(z.union([modelId, z.literal('*')]), z.number().int().positive()),
    {},
  ),
  WORKER_CHARS_PER_TOKEN: z.preprocess(
    unsetIfEmpty,
    z.coerce.number().positive().max(16).default(DEFAULTS.charsPerToken),
  ),
  WORKER_ORDER_KEY: z.preprocess(unsetIfEmpty, z.string().min(1).max(64).optional()),
  WORKER_SESSION_TIMEOUT_MS: positiveInt(DEFAULTS.sessionTimeoutMs),
  WORKER_SHUTDOWN_TIMEOUT_MS: positiveInt(DEFAULTS.shutdownTimeoutMs),
});

export type WorkerEnv = z.infer<typeof envSchema>;

/** Without a key the worker talks to the local anthropic-sim, which accepts any key. */
const SIM_KEY = 'sim-key';
const ANTHROPIC_API_URL = 'https://api.anthropic.com';

/** Parses the environment; throws WorkerConfigError listing every bad variable. */
export function loadConfig(env: Env = process.env): WorkerConfig {
  const problems: string[] = [];
  let kafka: KafkaSettings | undefined;
  try {
    kafka = kafkaSettingsFromEnv(env, { clientId: 'claude-worker' });
  } catch (error) {
    problems.push((error as Error).message);
  }
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const variable = issue.path.map(String).join('.') || '(env)';
      // zod may echo the input in some messages: never for the key.
      const message = variable === 'ANTHROPIC_API_KEY' ? 'invalid value' : issue.message;
      problems.push(`${variable}: ${message}`);
    }
  }
  const e = parsed.success ? parsed.data : undefined;
  if (problems.length > 0 || !e || !kafka) {
    throw new WorkerConfigError(
      `invalid claude-worker configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
  }
  const apiKey = e.ANTHROPIC_API_KEY ?? SIM_KEY;
  const baseURL =
    e.ANTHROPIC_BASE_URL ??
    (e.ANTHROPIC_API_KEY === undefined ? DEFAULTS.simBaseUrl : ANTHROPIC_API_URL);
  return {
    kafka,
    groupId: e.WORKER_GROUP_ID ?? `${kafka.topicPrefix}.claude-worker`,
    http: { host: e.WORKER_HOST, port: e.WORKER_PORT },
    anthropic: { apiKey, baseURL, timeoutMs: e.WORKER_TIMEOUT_MS },
    maxInFlight: e.WORKER_MAX_IN_FLIGHT,
    partitionWindow: e.WORKER_PARTITION_WINDOW,
    retry: {
      delaysMs: e.WORKER_RETRY_DELAYS_MS,
      jitter: e.WORKER_RETRY_JITTER,
      throttleInProcessMs: e.WORKER_THROTTLE_IN_PROCESS_MS,
    },
    limits: {
      defaults: {
        rpm: e.WORKER_RATE_LIMIT_RPM,
        itpm: e.WORKER_RATE_LIMIT_ITPM,
        otpm: e.WORKER_RATE_LIMIT_OTPM,
      },
      perModel: stripUndefined(e.WORKER_RATE_LIMITS),
      headroom: e.WORKER_RATE_LIMIT_HEADROOM,
      requestBurstMs: e.WORKER_REQUEST_BURST_MS,
    },
    routing: { routes: e.WORKER_MODEL_ROUTES, defaultModel: e.WORKER_DEFAULT_MODEL },
    caching: { thresholds: e.WORKER_CACHE_MIN_TOKENS },
    charsPerToken: e.WORKER_CHARS_PER_TOKEN,
    orderKey: e.WORKER_ORDER_KEY,
    sessionTimeoutMs: e.WORKER_SESSION_TIMEOUT_MS,
    shutdownTimeoutMs: e.WORKER_SHUTDOWN_TIMEOUT_MS,
  };
}

function stripUndefined(
  perModel: Record<
    string,
    { rpm?: number | undefined; itpm?: number | undefined; otpm?: number | undefined }
  >,
): Record<string, Partial<LimitSet>> {
  const out: Record<string, Partial<LimitSet>> = {};
  for (const [model, limits] of Object.entries(perModel)) {
    const l: Partial<LimitSet> = {};
    if (limits.rpm !== undefined) l.rpm = limits.rpm;
    if (limits.itpm !== undefined) l.itpm = limits.itpm;
    if (limits.otpm !== undefined) l.otpm = limits.otpm;
    out[model] = l;
  }
  return out;
}
