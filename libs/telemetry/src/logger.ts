import { hostname } from 'node:os';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { loggerSettingsFromEnv, type LogLevel } from './config.ts';
import { redactSecrets } from './redact.ts';
import { traceFieldsOf } from './trace-fields.ts';

export type { Logger } from 'pino';

export interface LoggerFactoryOptions {
  /** Becomes the `service` field of every line. */
  service: string;
  /** Default: `LOG_LEVEL`, else `info`. */
  level?: LogLevel;
  /** Human-readable lines through pino-pretty. Default: `LOG_PRETTY`. Ignored with `destination`. */
  pretty?: boolean;
  /** Where lines go (default stdout), e.g. an in-memory stream in tests. */
  destination?: DestinationStream;
  /** More fields on every line. */
  bindings?: Record<string, unknown>;
}

/**
 * The pino options every service uses (internal: use `createLogger`, which also redacts child
 * bindings and serializer output; give fastify `loggerInstance: logger`). Lines are JSON
 * with an ISO `time`, a `level` label, `service`, and `trace_id`/`span_id`/`trace_flags` of the
 * active span. Secrets are redacted from log objects, child bindings and messages.
 */
function loggerOptions(
  options: Pick<LoggerFactoryOptions, 'service' | 'level' | 'bindings'>,
): LoggerOptions {
  return {
    level: options.level ?? loggerSettingsFromEnv().level,
    base: { pid: process.pid, hostname: hostname(), service: options.service, ...options.bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Trace correlation from @opentelemetry/api, not only from instrumentation-pino: it works for
    // loggers created before the SDK's module hooks ran, in bundles and in unit tests. When the
    // instrumentation is active too, it writes the same three keys with the same values.
    mixin: () => traceFieldsOf(),
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (bindings) => redactSecrets(bindings) as Record<string, unknown>,
      log: (object) => redactSecrets(object) as Record<string, unknown>,
    },
    // The `log` formatter above already turned errors into their redacted plain shape; pino's
    // default `err` serializer would re-type that shape as "Object".
    serializers: { err: (value: unknown) => value, error: (value: unknown) => value },
    hooks: {
      logMethod(args, method) {
        const [first, ...rest] = args as unknown[];
        // `logger.error(err)` logs err.message as the message: redact that too.
        if (first instanceof Error && (rest.length === 0 || typeof rest[0] !== 'string')) {
          method.apply(this, [{ err: first }, redactSecrets(first.message), ...rest] as never);
          return;
        }
        // A leading object is the merging object: the `log` formatter redacts it (with the mixin).
        const redacted = args.map((arg, i) =>
          i === 0 && typeof arg === 'object' && arg !== null ? arg : redactSecrets(arg),
        );
        method.apply(this, redacted as never);
      },
    },
  };
}

type Serializer = (value: unknown) => unknown;

/** Serializers run after the `log` formatter: their output is redacted here. */
function redactingSerializers(serializers: Record<string, Serializer>): Record<string, Serializer> {
  const wrapped: Record<string, Serializer> = { ...serializers };
  for (const [key, serialize] of Object.entries(serializers)) {
    wrapped[key] = (value) => redactSecrets(serialize(value));
  }
  return wrapped;
}

/**
 * pino applies `formatters.bindings` to the root logger's bindings only, and serializers a child
 * brings (fastify's `req`/`res`, whose `url` may carry a token) after the `log` formatter. Children,
 * ours and fastify's, get both redacted here; they inherit this method.
 */
function redactChildren(logger: Logger): Logger {
  // Unbound on purpose: a grandchild is made with its parent child as `this`. (pino's generic
  // custom-level types make a wrapper inexpressible without the `unknown` casts.)
  type ChildOptions = { serializers?: Record<string, Serializer> } & Record<string, unknown>;
  type Child = (this: Logger, bindings: object, options?: ChildOptions) => Logger;
  const child = logger.child as unknown as Child;
  const redactingChild: Child = function (bindings, options) {
    const safeOptions =
      options?.serializers === undefined
        ? options
        : { ...options, serializers: redactingSerializers(options.serializers) };
    return child.call(this, redactSecrets(bindings) as object, safeOptions);
  };
  logger.child = redactingChild as unknown as Logger['child'];
  return logger;
}

/** A service's root logger. Give components `logger.child({ component })`. */
export function createLogger(options: LoggerFactoryOptions): Logger {
  const pinoOptions = loggerOptions(options);
  if (options.destination !== undefined) {
    return redactChildren(pino(pinoOptions, options.destination));
  }
  if (options.pretty ?? loggerSettingsFromEnv().pretty) {
    return redactChildren(
      pino({
        ...pinoOptions,
        transport: {
          target: 'pino-pretty',
          options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
        },
      }),
    );
  }
  return redactChildren(pino(pinoOptions));
}

/** A child logger whose lines carry `correlation_id` (the Kafka `correlation-id` header). */
export function withCorrelationId(logger: Logger, correlationId: string): Logger {
  return logger.child({ correlation_id: correlationId });
}
