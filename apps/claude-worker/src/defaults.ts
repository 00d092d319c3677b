/**
 * Defaults of every claude-worker setting, with units. Each one can be changed by the environment
 * variable named beside it (see config.ts and README.md).
 */
export const SERVICE_NAME = 'claude-worker';
export const CE_SOURCE = '/claude-pipeline/claude-worker';

export const DEFAULTS = {
  /** WORKER_PORT: health, readiness and metrics. */
  port: 8083,
  /** WORKER_HOST */
  host: '0.0.0.0',
  /** ANTHROPIC_BASE_URL when no ANTHROPIC_API_KEY is set: the local anthropic-sim. */
  simBaseUrl: 'http://127.0.0.1:4010',
  /** WORKER_MAX_IN_FLIGHT: Claude calls in flight at once (all partitions together). */
  maxInFlight: 256,
  /** WORKER_PARTITION_WINDOW: records in flight per partition (bounds replays after a crash). */
  partitionWindow: 256,
  /** WORKER_TIMEOUT_MS: one Messages call until its response headers (10 min, as the SDK). */
  timeoutMs: 600_000,
  /** WORKER_RETRY_DELAYS_MS: delay of each retry stage (5 s, 1 min, 10 min). */
  retryDelaysMs: [5_000, 60_000, 600_000] as readonly number[],
  /** WORKER_RETRY_JITTER: up to +10 % random extra delay per stage. */
  retryJitter: 0.1,
  /** WORKER_THROTTLE_IN_PROCESS_MS: a 429 wait up to this long (60 s) is waited in process. */
  throttleInProcessMs: 60_000,
  /** WORKER_RATE_LIMIT_RPM / _ITPM / _OTPM: seed limits per model (tier 4), 0 = no bucket. */
  rpm: 4_000,
  itpm: 2_000_000,
  otpm: 400_000,
  /** WORKER_RATE_LIMIT_HEADROOM: fraction of each limit the worker uses. */
  headroom: 0.97,
  /** WORKER_REQUEST_BURST_MS: the request bucket holds this much of its rate (no minute bursts). */
  requestBurstMs: 250,
  /** WORKER_DEFAULT_MODEL: for a task class the routing table does not name. */
  defaultModel: 'claude-sonnet-4-6',
  /** WORKER_CHARS_PER_TOKEN: input estimate before the call (conservative: the API's is ~4). */
  charsPerToken: 3.5,
  /** WORKER_SESSION_TIMEOUT_MS: consumer group session (30 s). */
  sessionTimeoutMs: 30_000,
  /** WORKER_SHUTDOWN_TIMEOUT_MS: drain on SIGTERM (60 s). */
  shutdownTimeoutMs: 60_000,
} as const;

/**
 * Task class → model. A cheap fast model for classification and short summaries, a stronger one
 * for complex work (WORKER_MODEL_ROUTES replaces this table).
 */
export const DEFAULT_MODEL_ROUTES: Readonly<Record<string, string>> = {
  classify: 'claude-haiku-4-5',
  classification: 'claude-haiku-4-5',
  extract: 'claude-haiku-4-5',
  summarize: 'claude-haiku-4-5',
  short_summary: 'claude-haiku-4-5',
  complex: 'claude-opus-4-6',
  code: 'claude-sonnet-4-6',
};
