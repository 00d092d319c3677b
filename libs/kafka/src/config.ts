import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { KafkaConfigError } from './errors.ts';

/**
 * Kafka connection settings, parsed once at boot from the environment. Every service uses the
 * same variable names, so one ConfigMap/compose block configures them all.
 */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const positiveInt = z.coerce.number().int().positive();

/**
 * The local broker of `npm start`/`npm test`: 127.0.0.1 on KAFKA_PORT (default 9092), used when
 * KAFKA_BROKERS is not set.
 */
export function localBroker(env: NodeJS.ProcessEnv = process.env): string {
  return `127.0.0.1:${env['KAFKA_PORT'] ?? '9092'}`;
}

export const kafkaEnvSchema = z
  .object({
    KAFKA_BROKERS: z
      .string()
      .optional()
      .transform((s) => s ?? '')
      .transform((s) =>
        s
          .split(',')
          .map((b) => b.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port'))),
    KAFKA_CLIENT_ID: z.string().min(1).optional(),
    KAFKA_TOPIC_PREFIX: z.string().default('pipeline'),
    KAFKA_TOPIC_PARTITIONS: positiveInt.optional(),
    KAFKA_TOPIC_AUX_PARTITIONS: positiveInt.optional(),
    KAFKA_REPLICATION_FACTOR: positiveInt.optional(),
    KAFKA_SSL: bool.default(false),
    /** PEM file with the CA that signed the brokers' certificates (optional; system CAs otherwise). */
    KAFKA_SSL_CA_FILE: z.string().min(1).optional(),
    KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
    KAFKA_SASL_USERNAME: z.string().min(1).optional(),
    KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
    /** Connection and request timeouts (ms). Short defaults: a broker that is down must be noticed. */
    KAFKA_CONNECTION_TIMEOUT_MS: positiveInt.default(3000),
    KAFKA_REQUEST_TIMEOUT_MS: positiveInt.default(30000),
  })
  .superRefine((env, ctx) => {
    if (env.KAFKA_SASL_MECHANISM && !(env.KAFKA_SASL_USERNAME && env.KAFKA_SASL_PASSWORD)) {
      ctx.addIssue({
        code: 'custom',
        path: ['KAFKA_SASL_USERNAME'],
        message:
          'KAFKA_SASL_MECHANISM is set: KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required',
      });
    }
  });

export type KafkaEnv = z.infer<typeof kafkaEnvSchema>;

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  topicPrefix: string;
  partitions?: number;
  auxPartitions?: number;
  replicationFactor?: number;
  ssl: false | { ca?: string[] };
  sasl?: {
    mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    username: string;
    password: string;
  };
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
}

/** Formats zod issues as one line per variable, naming it, for a fail-fast boot message. */
export function describeEnvIssues(error: z.ZodError): string {
  return error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`).join('\n');
}

/** Reads Kafka settings from `env`; throws a KafkaConfigError naming each bad variable. */
export function kafkaSettingsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  defaults: { clientId: string },
): KafkaSettings {
  const parsed = kafkaEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new KafkaConfigError(`invalid Kafka configuration:\n${describeEnvIssues(parsed.error)}`);
  }
  const e = parsed.data;
  let ssl: KafkaSettings['ssl'] = false;
  if (e.KAFKA_SSL || e.KAFKA_SSL_CA_FILE) {
    try {
      ssl = e.KAFKA_SSL_CA_FILE ? { ca: [readFileSync(e.KAFKA_SSL_CA_FILE, 'utf8')] } : {};
    } catch (cause) {
      throw new KafkaConfigError(`KAFKA_SSL_CA_FILE: cannot read ${e.KAFKA_SSL_CA_FILE}`, {
        cause,
      });
    }
  }
  return {
    brokers: e.KAFKA_BROKERS.length > 0 ? e.KAFKA_BROKERS : [localBroker(env)],
    clientId: e.KAFKA_CLIENT_ID ?? defaults.clientId,
    topicPrefix: e.KAFKA_TOPIC_PREFIX,
    ...(e.KAFKA_TOPIC_PARTITIONS === undefined ? {} : { partitions: e.KAFKA_TOPIC_PARTITIONS }),
    ...(e.KAFKA_TOPIC_AUX_PARTITIONS === undefined
      ? {}
      : { auxPartitions: e.KAFKA_TOPIC_AUX_PARTITIONS }),
    ...(e.KAFKA_REPLICATION_FACTOR === undefined
      ? {}
      : { replicationFactor: e.KAFKA_REPLICATION_FACTOR }),
    ssl,
    ...(e.KAFKA_SASL_MECHANISM && e.KAFKA_SASL_USERNAME && e.KAFKA_SASL_PASSWORD
      ? {
          sasl: {
            mechanism: e.KAFKA_SASL_MECHANISM,
            username: e.KAFKA_SASL_USERNAME,
            password: e.KAFKA_SASL_PASSWORD,
          },
        }
      : {}),
    connectionTimeoutMs: e.KAFKA_CONNECTION_TIMEOUT_MS,
    requestTimeoutMs: e.KAFKA_REQUEST_TIMEOUT_MS,
  };
}
