import { contracts, safeDecode } from '@claude-pipeline/schemas';
import { createJobStream, type JobStream } from './job-stream.ts';

/**
 * The streams this replica's clients are reading, and nothing else (bounded memory): a job is
 * held while at least one client watches it and dropped with its last client. Records reach it
 * from the shared readers (stream-reader.ts); a record of a job nobody here watches is skipped
 * by its key without being decoded.
 */
export interface StreamSubscription {
  readonly stream: JobStream;
  /** Settles when the replay of what was streamed before the subscription is read. */
  readonly replayed: Promise<void>;
  close(): void;
}

export interface StreamHub {
  /**
   * Watches a job for a client; `onChange` runs whenever it shows more. The first client of a
   * job starts its replay (`sinceMs`: a time before its first record, when known). Undefined
   * when this replica serves the job for another tenant already (cannot happen for a genuine
   * owner: the job id embeds the tenant).
   */
  subscribe(
    jobId: string,
    tenant: string,
    sinceMs: number | undefined,
    onChange: () => void,
  ): StreamSubscription | undefined;
  /** A record read from `pipeline.stream` (live tail or replay scan). */
  deliver(key: Buffer | null, value: Buffer | null): void;
  /** Jobs held / clients attached. */
  readonly jobs: number;
  readonly clients: number;
}

/** Reads what a job streamed before now; resolves once read (rejects if it cannot be read). */
export type ReplayFn = (jobId: string, sinceMs: number | undefined) => Promise<void>;

interface Entry {
  stream: JobStream;
  listeners: Set<() => void>;
  replayed: Promise<void>;
}

export interface StreamHubOptions {
  replay: ReplayFn;
  /** A record that is not a stream record (logged by the caller, counted). */
  onInvalid?: (jobId: string) => void;
}

export function createStreamHub(options: StreamHubOptions): StreamHub {
  const entries = new Map<string, Entry>();
  let clients = 0;

  return {
    get jobs() {
      return entries.size;
    },
    get clients() {
      return clients;
    },
    subscribe(jobId, tenant, sinceMs, onChange) {
      let entry = entries.get(jobId);
      if (entry !== undefined && entry.stream.tenant !== tenant) return undefined;
      if (entry === undefined) {
        const created: Entry = {
          stream: createJobStream(jobId, tenant),
          listeners: new Set(),
          replayed: Promise.resolve(),
        };
        // Registered before the replay starts: the live tail covers everything from here on,
        // the replay everything before (its end offset is read after this point).
        entries.set(jobId, created);
        created.replayed = options.replay(jobId, sinceMs);
        // A failed replay is reported to the waiting clients, not as an unhandled rejection.
        created.replayed.catch(() => undefined);
        entry = created;
      }
      const listener = () => onChange();
      entry.listeners.add(listener);
      clients += 1;
      const held = entry;
      let closed = false;
      return {
        stream: held.stream,
        replayed: held.replayed,
        close() {
          if (closed) return;
          closed = true;
          clients -= 1;
          held.listeners.delete(listener);
          if (held.listeners.size === 0 && entries.get(jobId) === held) entries.delete(jobId);
        },
      };
    },
    deliver(key, value) {
      if (key === null || value === null) return;
      const entry = entries.get(key.toString());
      if (entry === undefined) return;
      const decoded = safeDecode(contracts.streamRecord, value);
      if (!decoded.ok) {
        options.onInvalid?.(entry.stream.jobId);
        return;
      }
      if (entry.stream.apply(decoded.value) !== 'visible') return;
      for (const listener of [...entry.listeners]) listener();
    },
  };
}
