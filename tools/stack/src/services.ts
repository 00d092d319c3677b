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

export const SERVICES: readonly ServiceSpec[] = [];
