import type { JobMode, JobStatusResponse } from '@claude-pipeline/schemas';

/**
 * Jobs this replica accepted (Kafka acked) that the status view may not have yet: `accepted`
 * is written by dedupe, a moment after the 202. Without this, a client that GETs its job right
 * after submitting would get a 404. Bounded in entries and age; the view wins once it has the job.
 */
export interface AcceptedEntry {
  tenant: string;
  correlationId: string;
  mode: JobMode;
  /** ISO time of the ack. */
  acceptedAt: string;
}

export interface RecentlyAccepted {
  remember(jobId: string, entry: AcceptedEntry): void;
  get(jobId: string): AcceptedEntry | undefined;
  readonly size: number;
}

export function createRecentlyAccepted(options: {
  maxEntries: number;
  ttlMs: number;
  now?: () => number;
}): RecentlyAccepted {
  const now = options.now ?? Date.now;
  // Insertion order is age order: the first entry is the oldest.
  const entries = new Map<string, { entry: AcceptedEntry; at: number }>();

  return {
    get size() {
      return entries.size;
    },
    remember(jobId, entry) {
      entries.delete(jobId);
      entries.set(jobId, { entry, at: now() });
      while (entries.size > options.maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done === true) break;
        entries.delete(oldest.value);
      }
    },
    get(jobId) {
      const found = entries.get(jobId);
      if (found === undefined) return undefined;
      if (now() - found.at > options.ttlMs) {
        entries.delete(jobId);
        return undefined;
      }
      return found.entry;
    },
  };
}

/** The answer for a job only this replica's cache knows: accepted, generation 1, no attempts. */
export function acceptedResponse(jobId: string, entry: AcceptedEntry): JobStatusResponse {
  return {
    id: jobId,
    correlation_id: entry.correlationId,
    generation: 1,
    state: 'accepted',
    mode: entry.mode,
    updated_at: entry.acceptedAt,
    attempts: [],
  };
}
