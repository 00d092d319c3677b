import { PipelineKafkaError } from '../errors.ts';

// These belong in ../errors.ts with the lib's other error classes; they live here only until
// that file is free to edit (the state store was written while others were changing it).

/**
 * A state store call that cannot work as made: a partition read before it was restored, a key
 * too long for the local DB, a bad option. A programming or configuration error: never retriable.
 */
export class StateStoreError extends PipelineKafkaError {}

/**
 * Restoring a partition from its changelog failed (broker unreachable, consumer crashed, no
 * progress for too long). Retriable: the local DB keeps its last checkpoint, so restoring again
 * resumes from there.
 */
export class StateRestoreError extends PipelineKafkaError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retriable: true, ...options });
  }
}
