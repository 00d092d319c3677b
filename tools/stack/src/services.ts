/**
 * The services `npm start` runs, in start order. A service joins this list when its issue
 * lands, never before: `npm start` must not claim something runs that does not.
 */
export interface ServiceSpec {
  /** App folder name under apps/. */
  name: string;
  /** Port of its HTTP server (health, metrics, API). */
  port: number;
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
/** Bearer key of tenant `demo` for `POST /v1/jobs` (`PIPELINE_API_KEY`). */
export const LOCAL_API_KEY = 'local-dev-only-api-key-demo-0001';
/** Webhook secrets of the sample sources file (apps/ingest/config/sources.sample.json). */
export const LOCAL_WEBHOOK_SECRETS = {
  github: 'local-dev-only-github-webhook-secret',
  /** The sample rotates GitHub secrets: a second one is accepted too. */
  githubPrevious: 'local-dev-only-github-webhook-secret-previous',
  anthropic: 'whsec_bG9jYWwtZGV2LWFudGhyb3BpYy13ZWJob29rIQ==',
} as const;
/** Tenants of the local stack: `demo` (API key) and `acme` (the sample webhook sources). */
const LOCAL_TENANTS = ['demo', 'acme'] as const;

export const SERVICES: readonly ServiceSpec[] = [
  {
    // The local Anthropic API: only when no real API key is configured.
    name: 'anthropic-sim',
    port: 4010,
    env: { SIM_PORT: '4010', SIM_ADMIN_ENABLED: 'true' },
    enabled: (env) => !env['ANTHROPIC_API_KEY'],
    describe: (port) => `http://127.0.0.1:${port}/v1 (local Anthropic API; admin /_sim/stats)`,
  },
  {
    name: 'dedupe',
    port: 8082,
    env: { DEDUPE_HTTP_PORT: '8082', DEDUPE_HTTP_HOST: '127.0.0.1' },
    describe: (port) => `http://127.0.0.1:${port}/metrics (pipeline.events -> pipeline.jobs)`,
  },
  {
    name: 'notifier',
    port: 8084,
    env: {
      NOTIFIER_PORT: '8084',
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
    env: {
      INGEST_PORT: '8080',
      INGEST_HOST: '127.0.0.1',
      INGEST_PUBLIC_URL: 'http://127.0.0.1:8080',
      INGEST_API_KEYS: `demo:${LOCAL_API_KEY}`,
      INGEST_SOURCES_FILE: 'apps/ingest/config/sources.sample.json',
      INGEST_SECRET_GITHUB: LOCAL_WEBHOOK_SECRETS.github,
      INGEST_SECRET_GITHUB_PREVIOUS: LOCAL_WEBHOOK_SECRETS.githubPrevious,
      INGEST_SECRET_ANTHROPIC: LOCAL_WEBHOOK_SECRETS.anthropic,
    },
    describe: (port) => `http://127.0.0.1:${port}/v1/jobs (API and webhooks)`,
  },
];
