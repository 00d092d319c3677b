/**
 * Every error this lib throws on purpose. One root class carries `retriable` and `cause`, as in
 * kafkajs, so callers can branch on a predicate instead of parsing messages.
 */
export class PipelineKafkaError extends Error {
  readonly retriable: boolean;

  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** Configuration that cannot work (bad env var, impossible option). Never retriable. */
export class KafkaConfigError extends PipelineKafkaError {}

/** The broker's topics disagree with the catalog (missing, wrong partitions, wrong config). */
export class TopicMismatchError extends PipelineKafkaError {
  readonly mismatches: readonly TopicMismatch[];

  constructor(mismatches: readonly TopicMismatch[]) {
    super(
      `${mismatches.length} topic(s) differ from the catalog:\n` +
        mismatches.map((m) => `  - ${m.topic}: ${m.problem}`).join('\n'),
    );
    this.mismatches = mismatches;
  }
}

export interface TopicMismatch {
  topic: string;
  problem: string;
}

export const isRetriable = (error: unknown): boolean =>
  error instanceof PipelineKafkaError
    ? error.retriable
    : typeof error === 'object' &&
      error !== null &&
      (error as { retriable?: unknown }).retriable === true;
