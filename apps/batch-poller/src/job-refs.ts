import type { StoredJobRef } from './stored.ts';

/**
 * The job refs of an intent held in columns instead of one object per job: an intent lists up to
 * 100,000 refs, about 50 MB of objects (ten fields each, the trace context as a 55-character
 * string) against about 15 MB here. A ref is rebuilt as an object only when it is read (`at`),
 * for one result line at a time.
 *
 * Columns: job ids and correlation ids as strings (distinct per job); tenant, created_at and
 * tracestate interned (usually shared by many jobs); numbers in typed arrays; the traceparent as
 * its 26 bytes (version, trace id, span id, flags); the rare fields (callback, metadata) and any
 * value that does not fit its compact form kept aside, by index, as they came.
 */
export interface JobRefs extends Iterable<StoredJobRef> {
  readonly length: number;
  /** The ref at `index` (a fresh object). */
  at(index: number): StoredJobRef;
  /** Index of the ref with this job id (the first one), or -1. */
  indexOf(jobId: string): number;
  jobId(index: number): string;
  map<T>(fn: (ref: StoredJobRef, index: number) => T): T[];
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const TRACE_BYTES = 26;
/** Offsets up to this are held as numbers (exact), larger ones as their text. */
const MAX_EXACT = Number.MAX_SAFE_INTEGER;

interface Interned {
  code(value: string | undefined): number;
  value(code: number): string | undefined;
}

/** Code 0 is `undefined`. */
function interned(): Interned {
  const codes = new Map<string, number>();
  const values: (string | undefined)[] = [undefined];
  return {
    code(value) {
      if (value === undefined) return 0;
      let code = codes.get(value);
      if (code === undefined) {
        code = values.length;
        values.push(value);
        codes.set(value, code);
      }
      return code;
    },
    value: (code) => values[code],
  };
}

export interface JobRefsBuilder {
  add(ref: StoredJobRef): void;
  readonly length: number;
  build(): JobRefs;
}

/** Collects refs one at a time (`capacity` grows as needed). */
export function jobRefsBuilder(capacity = 1024): JobRefsBuilder {
  let size = 0;
  let cap = Math.max(1, capacity);
  const ids: string[] = [];
  const correlations: string[] = [];
  const tenants = interned();
  const createdAts = interned();
  const tracestates = interned();
  let tenantCodes = new Uint32Array(cap);
  let createdCodes = new Uint32Array(cap);
  let stateCodes = new Uint32Array(cap);
  let generations = new Float64Array(cap);
  let attempts = new Float64Array(cap);
  let partitions = new Float64Array(cap);
  let offsets = new Float64Array(cap);
  // 1 = traceparent held in `traces`; 0 = none or aside.
  let traceFlags = new Uint8Array(cap);
  let traces = Buffer.alloc(cap * TRACE_BYTES);
  /** Values that do not fit their column (or rare fields), by index. */
  const aside = new Map<number, Partial<StoredJobRef>>();

  const grow = () => {
    cap *= 2;
    const more = <A extends Uint32Array | Float64Array | Uint8Array>(
      old: A,
      make: (n: number) => A,
    ) => {
      const next = make(cap);
      next.set(old);
      return next;
    };
    tenantCodes = more(tenantCodes, (n) => new Uint32Array(n));
    createdCodes = more(createdCodes, (n) => new Uint32Array(n));
    stateCodes = more(stateCodes, (n) => new Uint32Array(n));
    generations = more(generations, (n) => new Float64Array(n));
    attempts = more(attempts, (n) => new Float64Array(n));
    partitions = more(partitions, (n) => new Float64Array(n));
    offsets = more(offsets, (n) => new Float64Array(n));
    traceFlags = more(traceFlags, (n) => new Uint8Array(n));
    const nextTraces = Buffer.alloc(cap * TRACE_BYTES);
    traces.copy(nextTraces);
    traces = nextTraces;
  };

  return {
    get length() {
      return size;
    },
    add(ref) {
      if (size === cap) grow();
      const i = size;
      size += 1;
      ids.push(ref.job_id);
      correlations.push(ref.correlation_id);
      tenantCodes[i] = tenants.code(ref.tenant);
      createdCodes[i] = createdAts.code(ref.created_at);
      stateCodes[i] = tracestates.code(ref.tracestate);
      generations[i] = ref.generation;
      attempts[i] = ref.attempt;
      partitions[i] = ref.source_partition;
      const extra: Partial<StoredJobRef> = {};
      let hasExtra = false;
      const offset = Number(ref.source_offset);
      if (offset <= MAX_EXACT && String(offset) === ref.source_offset) {
        offsets[i] = offset;
      } else {
        extra.source_offset = ref.source_offset;
        hasExtra = true;
      }
      const tp = ref.traceparent;
      if (tp !== undefined && TRACEPARENT.test(tp)) {
        const at = i * TRACE_BYTES;
        traces.write(tp.slice(0, 2), at, 1, 'hex');
        traces.write(tp.slice(3, 35), at + 1, 16, 'hex');
        traces.write(tp.slice(36, 52), at + 17, 8, 'hex');
        traces.write(tp.slice(53, 55), at + 25, 1, 'hex');
        traceFlags[i] = 1;
      } else if (tp !== undefined) {
        extra.traceparent = tp;
        hasExtra = true;
      }
      if (ref.callback) {
        extra.callback = ref.callback;
        hasExtra = true;
      }
      if (ref.metadata) {
        extra.metadata = ref.metadata;
        hasExtra = true;
      }
      if (hasExtra) aside.set(i, extra);
    },
    build() {
      const n = size;
      // Exact-size copies: the doubling left up to half of each column unused.
      tenantCodes = tenantCodes.slice(0, n);
      createdCodes = createdCodes.slice(0, n);
      stateCodes = stateCodes.slice(0, n);
      generations = generations.slice(0, n);
      attempts = attempts.slice(0, n);
      partitions = partitions.slice(0, n);
      offsets = offsets.slice(0, n);
      traceFlags = traceFlags.slice(0, n);
      traces = Buffer.from(traces.subarray(0, n * TRACE_BYTES));
      cap = n;
      let index: Map<string, number> | undefined;
      const traceparentAt = (i: number): string | undefined => {
        if (traceFlags[i] !== 1) return aside.get(i)?.traceparent;
        const at = i * TRACE_BYTES;
        return `${traces.toString('hex', at, at + 1)}-${traces.toString('hex', at + 1, at + 17)}-${traces.toString('hex', at + 17, at + 25)}-${traces.toString('hex', at + 25, at + 26)}`;
      };
      const at = (i: number): StoredJobRef => {
        if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`no job ref ${i}`);
        const extra = aside.get(i);
        const traceparent = traceparentAt(i);
        const tracestate = tracestates.value(stateCodes[i] ?? 0);
        return {
          job_id: ids[i] ?? '',
          tenant: tenants.value(tenantCodes[i] ?? 0) ?? '',
          correlation_id: correlations[i] ?? '',
          generation: generations[i] ?? 0,
          ...(traceparent !== undefined ? { traceparent } : {}),
          ...(tracestate !== undefined ? { tracestate } : {}),
          source_partition: partitions[i] ?? 0,
          source_offset: extra?.source_offset ?? String(offsets[i] ?? 0),
          attempt: attempts[i] ?? 1,
          created_at: createdAts.value(createdCodes[i] ?? 0) ?? '',
          ...(extra?.callback ? { callback: extra.callback } : {}),
          ...(extra?.metadata ? { metadata: extra.metadata } : {}),
        };
      };
      return {
        length: n,
        at,
        indexOf(jobId) {
          if (!index) {
            index = new Map();
            for (let i = n - 1; i >= 0; i -= 1) index.set(ids[i] ?? '', i);
          }
          return index.get(jobId) ?? -1;
        },
        jobId: (i) => {
          const id = ids[i];
          if (id === undefined || i >= n) throw new RangeError(`no job ref ${i}`);
          return id;
        },
        map(fn) {
          const out = [];
          for (let i = 0; i < n; i += 1) out.push(fn(at(i), i));
          return out;
        },
        *[Symbol.iterator]() {
          for (let i = 0; i < n; i += 1) yield at(i);
        },
      };
    },
  };
}

/** Compact refs of an array (tests, re-packs). */
export function jobRefsOf(refs: Iterable<StoredJobRef>): JobRefs {
  const builder = jobRefsBuilder();
  for (const ref of refs) builder.add(ref);
  return builder.build();
}
