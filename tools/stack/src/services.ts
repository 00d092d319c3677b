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

/** The local stack's callback secret for tenant `demo` (`pipeline listen --secret …`). */
export const LOCAL_DEMO_SECRET = 'whsec_bG9jYWwtZGV2LW9ubHktbm90LWEtc2VjcmV0ISE=';

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
    name: 'notifier',
    port: 8084,
    env: {
      NOTIFIER_PORT: '8084',
      NOTIFIER_HOST: '127.0.0.1',
      // Local development only: a well-known secret for the `demo` tenant, and callbacks to
      // loopback receivers (`pipeline listen`) allowed. Production configures neither.
      NOTIFIER_TENANT_SECRETS: JSON.stringify({ demo: [LOCAL_DEMO_SECRET] }),
      NOTIFIER_ALLOW_HTTP: 'true',
      NOTIFIER_ALLOW_CIDRS: '127.0.0.0/8,::1/128',
    },
    describe: (port) => `http://127.0.0.1:${port}/metrics (delivers pipeline.results callbacks)`,
  },
];
