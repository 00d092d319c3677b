/**
 * Defaults of every notifier setting, with units. Each one can be changed by the environment
 * variable named beside it (see config.ts and README.md).
 */
export const DEFAULTS = {
  /** NOTIFIER_PORT: health, readiness and metrics. */
  port: 8084,
  /** NOTIFIER_HOST */
  host: '0.0.0.0',
  /** NOTIFIER_TIMEOUT_MS: one POST, connect to last body byte (10 s). */
  timeoutMs: 10_000,
  /**
   * NOTIFIER_HANDOFF_MS: how long a record may hold its partition slot waiting for its endpoint
   * (1 s). A POST still running then continues in the background while the record moves to the
   * next retry stage, so a slow endpoint never holds the partition healthy ones share.
   */
  handoffMs: 1_000,
  /**
   * NOTIFIER_STALL_MS: an attempt unanswered this long while its endpoint finished nothing else
   * (250 ms) is handed off at once instead of waiting its whole hand-off budget, and an endpoint
   * with every connection busy and nothing finished for this long sheds new records at once. An
   * endpoint that keeps answering (however busy) is never stalled; one that answers nothing is
   * detected in this time, so its records hold their partition slots no longer than that.
   */
  stallMs: 250,
  /** NOTIFIER_MAX_IN_FLIGHT: records in flight per partition; also bounds duplicates on a crash. */
  maxInFlight: 500,
  /** NOTIFIER_DESTINATION_CONCURRENCY: connections (and requests in flight) per origin. */
  destinationConcurrency: 32,
  /** NOTIFIER_DESTINATION_QUEUE: records waiting for a connection to one origin. */
  destinationQueue: 1_000,
  /** NOTIFIER_BREAKER_FAILURES: consecutive failures that open an origin's circuit. */
  breakerFailures: 5,
  /** NOTIFIER_BREAKER_COOLDOWN_MS: first open period of a circuit (5 s). */
  breakerCooldownMs: 5_000,
  /** NOTIFIER_BREAKER_MAX_COOLDOWN_MS: longest open period, after repeated failed probes (5 min). */
  breakerMaxCooldownMs: 300_000,
  /** NOTIFIER_RETRY_AFTER_DEFAULT_MS: pause after a 429 without a usable Retry-After (30 s). */
  retryAfterDefaultMs: 30_000,
  /** NOTIFIER_RETRY_AFTER_MAX_MS: longest pause a 429 may ask for (1 h). */
  retryAfterMaxMs: 3_600_000,
  /** NOTIFIER_PAUSE_IN_PROCESS_MS: pauses up to this long are waited out in process (2 s). */
  pauseInProcessMs: 2_000,
  /** NOTIFIER_RESPONSE_BODY_LIMIT_BYTES: bytes of an answer read (4 KiB). */
  responseBodyLimitBytes: 4_096,
  /** NOTIFIER_GONE_TTL_MS: how long a URL that answered 410 stays stopped (24 h). */
  goneTtlMs: 86_400_000,
  /** NOTIFIER_DEPTH_INTERVAL_MS: retry-stage and DLQ depth refresh (15 s). */
  depthIntervalMs: 15_000,
  /** NOTIFIER_SESSION_TIMEOUT_MS: Kafka consumer session (30 s, kafkajs' default). */
  sessionTimeoutMs: 30_000,
  /** NOTIFIER_SHUTDOWN_TIMEOUT_MS: drain budget on SIGTERM (20 s). */
  shutdownTimeoutMs: 20_000,
} as const;

export const USER_AGENT = 'claude-pipeline-notifier/0.1';
export const SERVICE_NAME = 'notifier';
export const CE_SOURCE = '/claude-pipeline/notifier';
