import type { Logger } from '@claude-pipeline/telemetry';
import type { BatchStore } from './batches/batch-store.ts';
import type { SimClock } from './clock.ts';
import type { GenerationSettings, SimConfig } from './config.ts';
import type { FaultInjector } from './faults/fault-injector.ts';
import type { RateLimiter } from './limits/rate-limiter.ts';
import type { PromptCache } from './messages/prompt-cache.ts';
import type { SimMetrics } from './metrics.ts';
import type { ModelCatalog } from './models.ts';
import type { SimStats } from './stats/sim-stats.ts';

/** Everything the routes share, built once by `createSim`. */
export interface SimServices {
  config: SimConfig;
  logger: Logger;
  clock: SimClock;
  models: ModelCatalog;
  limiter: RateLimiter;
  cache: PromptCache;
  faults: FaultInjector;
  stats: SimStats;
  metrics: SimMetrics;
  batches: BatchStore;
  /** Pace and lengths; the admin API may change them at run time. */
  generation: { current: GenerationSettings };
}
