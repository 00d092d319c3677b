import { readFileSync } from 'node:fs';
import { kafkaSettingsFromEnv, type KafkaSettings } from '@claude-pipeline/kafka';
import { TENANT_ID_PATTERN } from '@claude-pipeline/schemas';
import { createSigner } from '@claude-pipeline/signing';
import { z } from 'zod';
import { DEFAULTS } from './defaults.ts';
import { NotifierConfigError } from './errors.ts';
import { parseCidr } from './ssrf/address-policy.ts';
import {
  DEFAULT_RETRY_DELAYS_MS,
  DEFAULT_RETRY_JITTER,
  parseRetryDelays,
} from './delivery/schedule.ts';

/**
 * The notifier's settings, parsed once at boot from the environment. A bad value stops the boot
 * with one line per variable, naming it; secret values never appear in a message.
 */
export interface NotifierConfig {
  kafka: KafkaSettings;
  groupId: string;
  http: { host: string; port: number };
  /** Standard Webhooks secrets per tenant, newest first (all sign; rotation). */
  tenantSecrets: ReadonlyMap<string, readonly string[]>;
  delivery: {
    timeoutMs: number;
    handoffMs: number;
    stallMs: number;
    allowHttp: boolean;
    allowCidrs: readonly string[];
    responseBodyLimitBytes: number;
    goneTtlMs: number;
    retryAfter: { defaultMs: number; maxMs: number };
  };
  destinations: {
    concurrency: number;
    queueLimit: number;
    shortPauseMs: number;
    breaker: { failureThreshold: number; cooldownMs: number; maxCooldownMs: number };
  };
  retry: { delaysMs: readonly number[]; jitter: number };
  consumer: { maxInFlight: number; sessionTimeoutMs: number };
  depthIntervalMs: number;
  shutdownTimeoutMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

const unsetIfEmpty = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const positiveInt = (fallback: number) =>
  z.preprocess(unsetIfEmpty, z.coerce.number().int().positive().default(fallback));
const nonNegativeInt = (fallback: number) =>
  z.preprocess(unsetIfEmpty, z.coerce.number().int().nonnegative().default(fallback));

const bool = z.preprocess(
  (value) => (typeof value === 'string' ? value.trim().toLowerCase() || undefined : value),
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default('false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes'),
);

export const envSchema = z.object({
  NOTIFIER_GROUP_ID: z.preprocess(unsetIfEmpty, z.string().min(1).optional()),
  NOTIFIER_HOST: z.preprocess(unsetIfEmpty, z.string().min(1).default(DEFAULTS.host)),
  NOTIFIER_PORT: z.preprocess(
    unsetIfEmpty,
    z.coerce.number().int().min(0).max(65_535).default(DEFAULTS.port),
  ),
  NOTIFIER_TENANT_SECRETS: z.preprocess(unsetIfEmpty, z.string().optional()),
  NOTIFIER_TENANT_SECRETS_FILE: z.preprocess(unsetIfEmpty, z.string().optional()),
  NOTIFIER_ALLOW_CIDRS: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .default('')
      .transform((text, ctx) => {
        const cidrs = text
          .split(',')
          .map((c) => c.trim())
          .filter((c) => c !== '');
        for (const cidr of cidrs) {
          try {
            parseCidr(cidr);
          } catch (error) {
            ctx.addIssue({ code: 'custom', message: (error as Error).message });
          }
        }
        return cidrs;
      }),
  ),
  NOTIFIER_ALLOW_HTTP: bool,
  NOTIFIER_TIMEOUT_MS: positiveInt(DEFAULTS.timeoutMs),
  NOTIFIER_HANDOFF_MS: positiveInt(DEFAULTS.handoffMs),
  NOTIFIER_STALL_MS: positiveInt(DEFAULTS.stallMs),
  NOTIFIER_RETRY_DELAYS_MS: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .optional()
      .transform((text, ctx): readonly number[] => {
        if (text === undefined) return DEFAULT_RETRY_DELAYS_MS;
        try {
          return parseRetryDelays(text);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      }),
  ),
  NOTIFIER_RETRY_JITTER: z.preprocess(
    unsetIfEmpty,
    z.coerce.number().min(0).max(1).default(DEFAULT_RETRY_JITTER),
  ),
  NOTIFIER_MAX_IN_FLIGHT: positiveInt(DEFAULTS.maxInFlight),
  NOTIFIER_DESTINATION_CONCURRENCY: positiveInt(DEFAULTS.destinationConcurrency),
  NOTIFIER_DESTINATION_QUEUE: nonNegativeInt(DEFAULTS.destinationQueue),
  NOTIFIER_BREAKER_FAILURES: positiveInt(DEFAULTS.breakerFailures),
  NOTIFIER_BREAKER_COOLDOWN_MS: positiveInt(DEFAULTS.breakerCooldownMs),
  NOTIFIER_BREAKER_MAX_COOLDOWN_MS: positiveInt(DEFAULTS.breakerMaxCooldownMs),
  NOTIFIER_RETRY_AFTER_DEFAULT_MS: nonNegativeInt(DEFAULTS.retryAfterDefaultMs),
  NOTIFIER_RETRY_AFTER_MAX_MS: positiveInt(DEFAULTS.retryAfterMaxMs),
  NOTIFIER_PAUSE_IN_PROCESS_MS: nonNegativeInt(DEFAULTS.pauseInProcessMs),
  NOTIFIER_RESPONSE_BODY_LIMIT_BYTES: positiveInt(DEFAULTS.responseBodyLimitBytes),
  NOTIFIER_GONE_TTL_MS: nonNegativeInt(DEFAULTS.goneTtlMs),
  NOTIFIER_DEPTH_INTERVAL_MS: positiveInt(DEFAULTS.depthIntervalMs),
  NOTIFIER_SESSION_TIMEOUT_MS: positiveInt(DEFAULTS.sessionTimeoutMs),
  NOTIFIER_SHUTDOWN_TIMEOUT_MS: positiveInt(DEFAULTS.shutdownTimeoutMs),
});

const tenantSecretsSchema = z.record(
  z.string().regex(TENANT_ID_PATTERN, 'tenant ids match ^[a-zA-Z0-9_-]{1,64}$'),
  z.array(z.string().min(1)).min(1, 'needs at least one secret'),
);

/**
 * Reads `{ "tenant": ["whsec_new", "whsec_old"] }` from the variable or the file, and checks
 * each secret by building its signer. Errors name the variable, the tenant and the secret's
 * position, never the text (a JSON parse error would quote it, so it is not passed on).
 */
function tenantSecretsFrom(
  env: z.infer<typeof envSchema>,
  problems: string[],
): Map<string, readonly string[]> {
  const inline = env.NOTIFIER_TENANT_SECRETS;
  const file = env.NOTIFIER_TENANT_SECRETS_FILE;
  const secrets = new Map<string, readonly string[]>();
  if (inline !== undefined && file !== undefined) {
    problems.push('NOTIFIER_TENANT_SECRETS: set it or NOTIFIER_TENANT_SECRETS_FILE, not both');
    return secrets;
  }
  if (inline === undefined && file === undefined) {
    problems.push(
      'NOTIFIER_TENANT_SECRETS: required (JSON {"tenant": ["whsec_..."]}), or NOTIFIER_TENANT_SECRETS_FILE',
    );
    return secrets;
  }
  const variable =
    inline !== undefined ? 'NOTIFIER_TENANT_SECRETS' : 'NOTIFIER_TENANT_SECRETS_FILE';
  let text: string;
  if (inline !== undefined) text = inline;
  else {
    try {
      text = readFileSync(file ?? '', 'utf8');
    } catch {
      problems.push(`${variable}: cannot read ${file}`);
      return secrets;
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    problems.push(`${variable}: is not valid JSON`);
    return secrets;
  }
  const parsed = tenantSecretsSchema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(
        `${variable}: ${issue.path.map(String).join('.') || '(value)'}: ${issue.message}`,
      );
    }
    return secrets;
  }
  for (const [tenant, list] of Object.entries(parsed.data)) {
    try {
      createSigner({ scheme: 'standard-webhooks', secrets: list });
      secrets.set(tenant, list);
    } catch (error) {
      // SigningConfigError messages name the position (`secrets[1]`), never the secret.
      problems.push(`${variable}: tenant "${tenant}": ${(error as Error).message}`);
    }
  }
  return secrets;
}

/** Parses the environment; throws NotifierConfigError listing every bad variable. */
export function loadConfig(env: Env = process.env): NotifierConfig {
  const problems: string[] = [];
  let kafka: KafkaSettings | undefined;
  try {
    kafka = kafkaSettingsFromEnv(env, { clientId: 'notifier' });
  } catch (error) {
    problems.push((error as Error).message);
  }
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${issue.path.map(String).join('.') || '(env)'}: ${issue.message}`);
    }
  }
  const e = parsed.success ? parsed.data : undefined;
  const tenantSecrets = e ? tenantSecretsFrom(e, problems) : new Map<string, readonly string[]>();
  if (e && e.NOTIFIER_BREAKER_MAX_COOLDOWN_MS < e.NOTIFIER_BREAKER_COOLDOWN_MS) {
    problems.push('NOTIFIER_BREAKER_MAX_COOLDOWN_MS: must be >= NOTIFIER_BREAKER_COOLDOWN_MS');
  }
  if (problems.length > 0 || !e || !kafka) {
    throw new NotifierConfigError(
      `invalid notifier configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
  }
  return {
    kafka,
    groupId: e.NOTIFIER_GROUP_ID ?? `${kafka.topicPrefix}.notifier`,
    http: { host: e.NOTIFIER_HOST, port: e.NOTIFIER_PORT },
    tenantSecrets,
    delivery: {
      timeoutMs: e.NOTIFIER_TIMEOUT_MS,
      handoffMs: e.NOTIFIER_HANDOFF_MS,
      stallMs: e.NOTIFIER_STALL_MS,
      allowHttp: e.NOTIFIER_ALLOW_HTTP,
      allowCidrs: e.NOTIFIER_ALLOW_CIDRS,
      responseBodyLimitBytes: e.NOTIFIER_RESPONSE_BODY_LIMIT_BYTES,
      goneTtlMs: e.NOTIFIER_GONE_TTL_MS,
      retryAfter: {
        defaultMs: e.NOTIFIER_RETRY_AFTER_DEFAULT_MS,
        maxMs: e.NOTIFIER_RETRY_AFTER_MAX_MS,
      },
    },
    destinations: {
      concurrency: e.NOTIFIER_DESTINATION_CONCURRENCY,
      queueLimit: e.NOTIFIER_DESTINATION_QUEUE,
      shortPauseMs: e.NOTIFIER_PAUSE_IN_PROCESS_MS,
      breaker: {
        failureThreshold: e.NOTIFIER_BREAKER_FAILURES,
        cooldownMs: e.NOTIFIER_BREAKER_COOLDOWN_MS,
        maxCooldownMs: e.NOTIFIER_BREAKER_MAX_COOLDOWN_MS,
      },
    },
    retry: { delaysMs: e.NOTIFIER_RETRY_DELAYS_MS, jitter: e.NOTIFIER_RETRY_JITTER },
    consumer: {
      maxInFlight: e.NOTIFIER_MAX_IN_FLIGHT,
      sessionTimeoutMs: e.NOTIFIER_SESSION_TIMEOUT_MS,
    },
    depthIntervalMs: e.NOTIFIER_DEPTH_INTERVAL_MS,
    shutdownTimeoutMs: e.NOTIFIER_SHUTDOWN_TIMEOUT_MS,
  };
}
