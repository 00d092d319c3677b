import type { ServiceEnv } from './services.ts';

export interface EnvProblems {
  /** Names set by the deployment that the service does not read (typos, stale names). */
  unknown: string[];
  /** Required variables of the service's schema the deployment does not set. */
  missing: string[];
}

/** Compares the variable names a deployment sets with what the service reads. */
export function checkEnvNames(names: Iterable<string>, env: ServiceEnv): EnvProblems {
  const set = new Set(names);
  return {
    unknown: [...set].filter((n) => !env.known.has(n)).sort(),
    missing: [
      ...env.required.filter((n) => !set.has(n)),
      ...env.requiredOneOf
        .filter((alt) => !alt.some((n) => set.has(n)))
        .map((alt) => alt.join('|')),
    ].sort(),
  };
}
