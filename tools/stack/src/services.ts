/**
 * The services `npm start` runs, in start order. A service joins this list when its issue
 * lands, never before: `npm start` must not claim something runs that does not.
 */
export interface ServiceSpec {
  /** App folder name under apps/. */
  name: string;
  /** Port of its HTTP server (health, metrics, API). */
  port: number;
  /** The variable that sets that port (the runner sets it, so a caller can move the port). */
  portEnv: string;
  /** Extra environment for the local stack. */
  env: Record<string, string>;
  /** Whether it runs in this environment (e.g. the sim only without ANTHROPIC_API_KEY). */
  enabled?: (env: NodeJS.ProcessEnv) => boolean;
  /** One line for the banner: where to reach it. */
  describe?: (port: number) => string;
}

/**
 * Well-known credentials of the local stack, printed in its banner. They are NOT secrets and are
 * only ever configured by `npm start`; production configures its own (see each app's README).
 */
export const LOCAL_DEMO_SECRET = 'whsec_bG9jYWwtZGV2LW9ubHktbm90LWEtc2VjcmV0ISE=';
/**
 * Bearer key of tenant `acme` for `POST /v1/jobs` (`PIPELINE_API_KEY`): the tenant of the sample
 * webhook sources too, so one key follows every job of the local stack.
 */
export const LOCAL_API_KEY = 'local-dev-only-api-key-acme-0001';
/** Webhook secrets of the sample sources file (apps/ingest/config/sources.sample.json). */
export const LOCAL_WEBHOOK_SECRETS = {
  github: 'local-dev-only-github-webhook-secret',
  /** The sample rotates GitHub secrets: a second one is accepted too. */
  githubPrevious: 'local-dev-only-github-webhook-secret-previous',
  anthropic: 'whsec_bG9jYWwtZGV2LWFudGhyb3BpYy13ZWJob29rIQ==',
} as const;
/** Tenants whose callbacks the local notifier signs (with LOCAL_DEMO_SECRET). */
const LOCAL_TENANTS = ['acme', 'demo'] as const;

export const SERVICES: readonly ServiceSpec[] = [
  {
    // The local Anthropic API: only when no real API key is configured.
    name: 'anthropic-sim',
    port: 4010,
    portEnv: 'SIM_PORT',
    env: { SIM_ADMIN_ENABLED: 'true' },
    enabled: (env) => !env['ANTHROPIC_API_KEY'],
    describe: (port) => `http://127.0.0.1:${port}/v1 (local Anthropic API; admin /_sim/stats)`,
  },
  {
    name: 'dedupe',
    port: 8082,
    portEnv: 'DEDUPE_HTTP_PORT',
    env: { DEDUPE_HTTP_HOST: '127.0.0.1' },
    describe: (port) => `http://127.0.0.1:${port}/metrics (pipeline.events -> pipeline.jobs)`,
  },
  {
    name: 'claude-worker',
    port: 8083,
    portEnv: 'WORKER_PORT',
    env: { WORKER_HOST: '127.0.0.1' },
    describe: (port) => `http://127.0.0.1:${port}/metrics (realtime jobs -> Messages API)`,
  },
  {
    name: 'batch-poller',
    port: 8085,
    portEnv: 'BATCH_POLLER_HTTP_PORT',
    // Locally a batch is packed after 5 s and polled every 2 s, so the demo's batch job ends in
    // seconds (production defaults: 60 s and 60 s).
    env: {
      BATCH_POLLER_HTTP_HOST: '127.0.0.1',
      BATCH_POLLER_MAX_AGE: '5s',
      BATCH_POLLER_POLL_INTERVAL: '2s',
    },
    describe: (port) => `http://127.0.0.1:${port}/metrics (batch jobs -> Message Batches API)`,
  },
  {
    name: 'notifier',
    port: 8084,
    portEnv: 'NOTIFIER_PORT',
    env: {
      NOTIFIER_HOST: '127.0.0.1',
      // Local development only: a well-known secret for the `demo` tenant, and callbacks to
      // loopback receivers (`pipeline listen`) allowed. Production configures neither.
      NOTIFIER_TENANT_SECRETS: JSON.stringify(
        Object.fromEntries(LOCAL_TENANTS.map((tenant) => [tenant, [LOCAL_DEMO_SECRET]])),
      ),
      NOTIFIER_ALLOW_HTTP: 'true',
      NOTIFIER_ALLOW_CIDRS: '127.0.0.0/8,::1/128',
    },
    describe: (port) => `http://127.0.0.1:${port}/metrics (delivers pipeline.results callbacks)`,
  },
  {
    // Last: the API answers only once everything behind it runs.
    name: 'ingest',
    port: 8080,
    portEnv: 'INGEST_PORT',
    env: {
      INGEST_HOST: '127.0.0.1',
      INGEST_API_KEYS: `acme:${LOCAL_API_KEY}`,
      INGEST_SOURCES_FILE: 'apps/ingest/config/sources.sample.json',
      // Signs the short-lived stream URLs (any replica verifies them).
      INGEST_STREAM_TOKEN_SECRETS: 'local-dev-only-stream-token-secret-0123456789',
      INGEST_SECRET_GITHUB: LOCAL_WEBHOOK_SECRETS.github,
      INGEST_SECRET_GITHUB_PREVIOUS: LOCAL_WEBHOOK_SECRETS.githubPrevious,
      INGEST_SECRET_ANTHROPIC: LOCAL_WEBHOOK_SECRETS.anthropic,
    },
    describe: (port) => `http://127.0.0.1:${port}/v1/jobs (API and webhooks)`,
  },
];

/**
 * Environment that links the services to each other once their ports are known: where ingest
 * says it lives, and which Anthropic API the Claude callers use (the local sim unless
 * ANTHROPIC_API_KEY is set).
 */
export function linkedEnv(
  name: string,
  ports: Readonly<Record<string, number>>,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const local = (service: string) => `http://127.0.0.1:${ports[service] ?? 0}`;
  switch (name) {
    case 'ingest':
      return { INGEST_PUBLIC_URL: local('ingest') };
    case 'claude-worker':
    case 'batch-poller':
      return env['ANTHROPIC_API_KEY']
        ? {}
        : { ANTHROPIC_BASE_URL: local('anthropic-sim'), ANTHROPIC_API_KEY: LOCAL_SIM_API_KEY };
    default:
      return {};
  }
}

/** One service of the local stack as `npm start` runs it here: its spec and its linked env. */
export interface PlannedService {
  spec: ServiceSpec;
  env: Record<string, string>;
}

/**
 * The services `npm start` runs in this environment, in start order, each with the environment
 * that links it to the others (ports of the services actually running).
 */
export function planServices(env: NodeJS.ProcessEnv = process.env): PlannedService[] {
  const enabled = SERVICES.filter((s) => s.enabled?.(env) ?? true);
  const ports = Object.fromEntries(enabled.map((s) => [s.name, s.port]));
  return enabled.map((spec) => ({ spec, env: linkedEnv(spec.name, ports, env) }));
}

/** Any key works with the sim; the SDK insists on one. */
export const LOCAL_SIM_API_KEY = 'sk-ant-local-sim-not-a-real-key';
