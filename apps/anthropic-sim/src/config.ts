import { z } from 'zod';
import { SimConfigError } from './errors.ts';
import {
  errorRatesSchema,
  faultRuleSchema,
  type ErrorRates,
  type FaultRuleSpec,
  type LatencySpec,
} from './faults/fault.schema.ts';
import { perModelLimitsSchema, type RateLimitSettings } from './limits/limits.schema.ts';

/**
 * The sim's settings, parsed once at boot from the environment. Every variable is optional; an
 * empty one counts as unset. A bad value fails the boot with a message naming the variable.
 */
export interface SimConfig {
  host: string;
  port: number;
  /** Base of `results_url`; default: the scheme and Host of the request that reads the batch. */
  publicUrl: string | undefined;
  /** Accepted API keys; undefined: any non-empty key. */
  apiKeys: readonly string[] | undefined;
  /** Seeds random faults and latency samples, so a run can be repeated. */
  seed: number;
  adminEnabled: boolean;
  /** Model ids accepted besides the built-in table. */
  extraModels: readonly string[];
  generation: GenerationSettings;
  latency: LatencySpec;
  errorRates: ErrorRates;
  faults: readonly FaultRuleSpec[];
  rateLimits: RateLimitSettings;
  cache: { minTokens: number };
  batches: BatchSettings;
}

export interface GenerationSettings {
  /** Output pace, tokens per second; 0: as fast as possible. */
  tokensPerSecond: number;
  /** Time to first token, milliseconds. */
  ttftMs: number;
  /** A `ping` event when a stream would otherwise be silent this long, milliseconds. */
  pingIntervalMs: number;
  /** Length of a reply, tokens, chosen per input between these (inclusive). */
  outputTokensMin: number;
  outputTokensMax: number;
  /** Characters per token when estimating input tokens. */
  charsPerToken: number;
}

export interface BatchSettings {
  /** From creation until a batch has ended, milliseconds (of the sim's clock). */
  processingMs: number;
  /** From a cancel request until the batch has ended, milliseconds. */
  cancelMs: number;
  /** Our extension: POST a signed notification here when a batch ends. */
  webhook: { url: string; secret: string } | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

const unsetIfEmpty = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const opt = <T extends z.ZodType>(schema: T) => z.preprocess(unsetIfEmpty, schema.optional());

const withDefault = <T extends z.ZodType>(schema: T, value: z.util.NoUndefined<z.output<T>>) =>
  z.preprocess(unsetIfEmpty, schema.default(value));

const bool = z.preprocess(
  (value) => (typeof value === 'string' ? value.trim().toLowerCase() : value),
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .transform((v) => ['true', '1', 'yes'].includes(v)),
);

const nonNegative = z.coerce.number().finite().nonnegative();
const nonNegativeInt = z.coerce.number().int().nonnegative();

const json = <T extends z.ZodType>(schema: T) =>
  z.string().transform((text, ctx): z.infer<T> => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
      return z.NEVER;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.addIssue({ code: 'custom', message: `${issue.path.join('.')}: ${issue.message}` });
      }
      return z.NEVER;
    }
    return parsed.data as z.infer<T>;
  });

const list = z.string().transform((text) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== ''),
);

/** `500=0.01,529=0.02,batches:500=0.1`: status=probability, optionally prefixed by the endpoint. */
const errorRatesText = z.string().transform((text, ctx): ErrorRates => {
  const rates: Record<string, Record<string, number>> = {};
  for (const entry of text.split(',').map((e) => e.trim())) {
    if (entry === '') continue;
    const match = /^(?:(messages|batches):)?(\d{3})=([0-9.]+)$/.exec(entry);
    if (!match) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not [endpoint:]status=probability` });
      return z.NEVER;
    }
    const endpoint = match[1] ?? 'messages';
    (rates[endpoint] ??= {})[match[2] ?? ''] = Number(match[3]);
  }
  const parsed = errorRatesSchema.safeParse(rates);
  if (!parsed.success) {
    ctx.addIssue({ code: 'custom', message: parsed.error.issues.map((i) => i.message).join('; ') });
    return z.NEVER;
  }
  return parsed.data;
});

// Defaults: a generous account (about the API's tier 4) and a plausible model pace; tests and
// benchmarks set their own.
export const envSchema = z.object({
  SIM_HOST: withDefault(z.string().trim().min(1), '127.0.0.1'),
  SIM_PORT: withDefault(z.coerce.number().int().min(0).max(65_535), 4010),
  SIM_PUBLIC_URL: opt(z.url()),
  SIM_API_KEYS: opt(list),
  SIM_SEED: withDefault(nonNegativeInt, 0),
  SIM_ADMIN_ENABLED: withDefault(bool, false),
  SIM_MODELS: withDefault(list, []),
  SIM_TOKENS_PER_SECOND: withDefault(nonNegative, 100),
  SIM_TTFT_MS: withDefault(nonNegative, 250),
  SIM_PING_INTERVAL_MS: withDefault(z.coerce.number().positive(), 5_000),
  SIM_OUTPUT_TOKENS_MIN: withDefault(nonNegativeInt, 16),
  SIM_OUTPUT_TOKENS_MAX: withDefault(nonNegativeInt, 256),
  SIM_CHARS_PER_TOKEN: withDefault(z.coerce.number().positive(), 4),
  SIM_LATENCY_MODE: withDefault(z.enum(['fixed', 'lognormal']), 'fixed'),
  /** Fixed latency, or the median of the lognormal one, milliseconds. */
  SIM_LATENCY_MS: withDefault(nonNegative, 0),
  SIM_LATENCY_SIGMA: withDefault(nonNegative, 0.5),
  SIM_LATENCY_MAX_MS: withDefault(nonNegative, 60_000),
  SIM_ERROR_RATES: withDefault(errorRatesText, {}),
  SIM_FAULTS: withDefault(json(z.array(faultRuleSchema)), []),
  SIM_RATE_LIMIT_RPM: withDefault(nonNegativeInt, 4_000),
  SIM_RATE_LIMIT_ITPM: withDefault(nonNegativeInt, 2_000_000),
  SIM_RATE_LIMIT_OTPM: withDefault(nonNegativeInt, 400_000),
  SIM_RATE_LIMITS: withDefault(json(perModelLimitsSchema), {}),
  SIM_CACHE_MIN_TOKENS: withDefault(nonNegativeInt, 1024),
  SIM_BATCH_PROCESSING_MS: withDefault(nonNegative, 5_000),
  SIM_BATCH_CANCEL_MS: withDefault(nonNegative, 500),
  SIM_BATCH_WEBHOOK_URL: opt(z.url()),
  SIM_BATCH_WEBHOOK_SECRET: opt(z.string().trim().min(1)),
});

/** Reads the sim's settings; throws a SimConfigError naming each bad variable. */
export function loadConfig(env: Env = process.env): SimConfig {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new SimConfigError(`invalid anthropic-sim configuration:\n${lines.join('\n')}`);
  }
  const e = result.data;
  if (e.SIM_OUTPUT_TOKENS_MIN > e.SIM_OUTPUT_TOKENS_MAX) {
    throw new SimConfigError(
      'invalid anthropic-sim configuration:\n  SIM_OUTPUT_TOKENS_MIN: must not exceed SIM_OUTPUT_TOKENS_MAX',
    );
  }
  if ((e.SIM_BATCH_WEBHOOK_URL === undefined) !== (e.SIM_BATCH_WEBHOOK_SECRET === undefined)) {
    throw new SimConfigError(
      'invalid anthropic-sim configuration:\n  SIM_BATCH_WEBHOOK_SECRET: SIM_BATCH_WEBHOOK_URL and SIM_BATCH_WEBHOOK_SECRET are set together',
    );
  }
  const latency: LatencySpec =
    e.SIM_LATENCY_MODE === 'fixed'
      ? { mode: 'fixed', ms: e.SIM_LATENCY_MS }
      : {
          mode: 'lognormal',
          median_ms: e.SIM_LATENCY_MS,
          sigma: e.SIM_LATENCY_SIGMA,
          max_ms: e.SIM_LATENCY_MAX_MS,
        };
  return {
    host: e.SIM_HOST,
    port: e.SIM_PORT,
    publicUrl: e.SIM_PUBLIC_URL?.replace(/\/+$/, ''),
    apiKeys: e.SIM_API_KEYS,
    seed: e.SIM_SEED,
    adminEnabled: e.SIM_ADMIN_ENABLED,
    extraModels: e.SIM_MODELS,
    generation: {
      tokensPerSecond: e.SIM_TOKENS_PER_SECOND,
      ttftMs: e.SIM_TTFT_MS,
      pingIntervalMs: e.SIM_PING_INTERVAL_MS,
      outputTokensMin: e.SIM_OUTPUT_TOKENS_MIN,
      outputTokensMax: e.SIM_OUTPUT_TOKENS_MAX,
      charsPerToken: e.SIM_CHARS_PER_TOKEN,
    },
    latency,
    errorRates: e.SIM_ERROR_RATES,
    faults: e.SIM_FAULTS,
    rateLimits: {
      defaults: {
        rpm: e.SIM_RATE_LIMIT_RPM,
        itpm: e.SIM_RATE_LIMIT_ITPM,
        otpm: e.SIM_RATE_LIMIT_OTPM,
      },
      perModel: e.SIM_RATE_LIMITS,
    },
    cache: { minTokens: e.SIM_CACHE_MIN_TOKENS },
    batches: {
      processingMs: e.SIM_BATCH_PROCESSING_MS,
      cancelMs: e.SIM_BATCH_CANCEL_MS,
      webhook:
        e.SIM_BATCH_WEBHOOK_URL !== undefined && e.SIM_BATCH_WEBHOOK_SECRET !== undefined
          ? { url: e.SIM_BATCH_WEBHOOK_URL, secret: e.SIM_BATCH_WEBHOOK_SECRET }
          : undefined,
    },
  };
}
