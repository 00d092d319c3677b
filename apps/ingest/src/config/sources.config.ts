import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { IngestConfigError } from '../errors.ts';
import {
  sourcesFileSchema,
  type Extractor,
  type RouteConfig,
  type SourceFileEntry,
  type SourceScheme,
} from './sources.schema.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** A secret with the variable it came from, so a bad one can be named without showing it. */
export interface SecretRef {
  readonly env: string;
  readonly value: string;
}

/** One webhook source, defaults applied and secrets read from the environment. */
export interface SourceConfig {
  readonly name: string;
  readonly tenant: string;
  readonly scheme: SourceScheme;
  readonly secrets: readonly SecretRef[];
  readonly toleranceSeconds: number | undefined;
  readonly hmac: SourceFileEntry['hmac'];
  readonly idempotencyKey: Extractor;
  readonly eventType: Extractor;
  readonly routes: ReadonlyMap<string, RouteConfig>;
}

/** Where each scheme's senders put the delivery id and the event type. */
const DEFAULTS: Readonly<
  Record<Exclude<SourceScheme, 'hmac'>, { idempotencyKey: Extractor; eventType: Extractor }>
> = {
  // Signed: webhook-id is part of the signed content.
  'standard-webhooks': { idempotencyKey: { header: 'webhook-id' }, eventType: { path: 'type' } },
  anthropic: { idempotencyKey: { header: 'webhook-id' }, eventType: { path: 'data.type' } },
  // Not signed by GitHub (see README, security notes); the only delivery id GitHub sends.
  github: {
    idempotencyKey: { header: 'x-github-delivery' },
    eventType: { header: 'x-github-event' },
  },
  // Stripe's event id (`evt_...`) is in the signed body.
  stripe: { idempotencyKey: { path: 'id' }, eventType: { path: 'type' } },
};

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      // A bad record key (a source name) carries the reason in its nested issues.
      const nested = issue.code === 'invalid_key' ? issue.issues.map((inner) => inner.message) : [];
      const message = [issue.message, ...nested].join(': ');
      return `  ${issue.path.map(String).join('.') || '(file)'}: ${message}`;
    })
    .join('\n');
}

/** Parses the sources file text (`origin` names it in errors) and reads the secrets from `env`. */
export function parseSources(text: string, env: Env, origin: string): SourceConfig[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new IngestConfigError(`${origin}: not valid JSON`, { cause });
  }
  const parsed = sourcesFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new IngestConfigError(
      `${origin}: invalid sources file:\n${describeIssues(parsed.error)}`,
    );
  }
  return Object.entries(parsed.data.sources).map(([name, entry]) =>
    resolveSource(name, entry, env, origin),
  );
}

function resolveSource(
  name: string,
  entry: SourceFileEntry,
  env: Env,
  origin: string,
): SourceConfig {
  const names = typeof entry.secret_env === 'string' ? [entry.secret_env] : entry.secret_env;
  const secrets = names.map((variable) => {
    const value = env[variable];
    if (value === undefined || value.trim() === '') {
      throw new IngestConfigError(
        `${variable}: not set (a secret of webhook source "${name}" in ${origin})`,
      );
    }
    return { env: variable, value: value.trim() };
  });
  const defaults = entry.scheme === 'hmac' ? undefined : DEFAULTS[entry.scheme];
  const idempotencyKey = entry.idempotency_key ?? defaults?.idempotencyKey;
  const eventType = entry.event_type ?? defaults?.eventType;
  if (idempotencyKey === undefined || eventType === undefined) {
    // The schema already demands both for hmac; this keeps the types honest.
    throw new IngestConfigError(`${origin}: source "${name}" needs idempotency_key and event_type`);
  }
  return {
    name,
    tenant: entry.tenant,
    scheme: entry.scheme,
    secrets,
    toleranceSeconds: entry.tolerance_seconds,
    hmac: entry.hmac,
    idempotencyKey,
    eventType,
    routes: new Map(Object.entries(entry.routes)),
  };
}

/** Reads and parses the sources file at `path`. */
export function loadSourcesFile(
  path: string,
  env: Env,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): SourceConfig[] {
  let text: string;
  try {
    text = readFile(path);
  } catch (cause) {
    throw new IngestConfigError(`INGEST_SOURCES_FILE: cannot read ${path}`, { cause });
  }
  return parseSources(text, env, path);
}
