import { Pool } from 'undici';
import { isDestinationRefusedError, type BlockedCategory } from '../errors.ts';
import type { AddressPolicy } from '../ssrf/address-policy.ts';
import { guardedConnector } from '../ssrf/guarded-connector.ts';
import type { ResolvedAddress, Resolver } from './resolver.ts';

/**
 * Outbound POSTs: one keep-alive undici Pool per origin, every connection opened through the
 * SSRF-guarded connector. No redirects are followed (undici's `request` never does), the whole
 * exchange (connect, headers, body) has one deadline, and at most `responseBodyLimitBytes` of
 * the answer is read (the rest is discarded with the connection).
 */
export interface CallbackRequest {
  url: URL;
  body: string;
  headers: Record<string, string>;
}

export type AttemptResult =
  | {
      kind: 'response';
      status: number;
      headers: Record<string, string | string[] | undefined>;
      /** The first bytes of the answer, as text. */
      bodySnippet: string;
      durationMs: number;
    }
  | { kind: 'timeout'; durationMs: number }
  | { kind: 'refused'; message: string; category: BlockedCategory | 'url'; durationMs: number }
  | { kind: 'error'; code: string; message: string; durationMs: number };

export interface CallbackClientOptions {
  policy: AddressPolicy;
  resolver: Resolver;
  /** Whole-exchange deadline (ms). */
  timeoutMs: number;
  /** Connections per origin. */
  connectionsPerOrigin: number;
  responseBodyLimitBytes: number;
  /** Idle keep-alive connections are closed after this long (ms). Default 4000. */
  keepAliveTimeoutMs?: number;
  /** A pool unused this long (ms) is closed. Default 120000 (2 minutes). */
  poolIdleMs?: number;
  now?: () => number;
  onConnect?: (hostname: string, address: ResolvedAddress) => void;
}

export interface CallbackClient {
  send(request: CallbackRequest): Promise<AttemptResult>;
  /** Origins with an open pool. */
  readonly pools: number;
  /** Closes idle pools (called periodically). */
  sweep(): void;
  /** Aborts in-flight requests and closes every pool. */
  close(): Promise<void>;
}

interface PoolEntry {
  pool: Pool;
  inFlight: number;
  lastUsed: number;
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

export function createCallbackClient(options: CallbackClientOptions): CallbackClient {
  const now = options.now ?? Date.now;
  const poolIdleMs = options.poolIdleMs ?? 120_000;
  const pools = new Map<string, PoolEntry>();
  /**
   * Requests in flight, aborted by `close()`. A Set, not a listener per request on one shared
   * AbortSignal: EventTarget checks each new listener against all it holds (O(n) per request
   * with hundreds in flight; 1.3 % of the notifier's CPU in the benchmark profile).
   */
  const running = new Set<AbortController>();
  let closed = false;
  const connect = guardedConnector({
    policy: options.policy,
    resolver: options.resolver,
    timeoutMs: options.timeoutMs,
    ...(options.onConnect ? { onConnect: options.onConnect } : {}),
  });

  function poolFor(origin: string): PoolEntry {
    let entry = pools.get(origin);
    if (!entry) {
      entry = {
        pool: new Pool(origin, {
          connect,
          connections: options.connectionsPerOrigin,
          pipelining: 1,
          allowH2: false,
          keepAliveTimeout: options.keepAliveTimeoutMs ?? 4000,
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
        }),
        inFlight: 0,
        lastUsed: now(),
      };
      pools.set(origin, entry);
    }
    return entry;
  }

  async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
    const limit = options.responseBodyLimitBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      if (size < limit) chunks.push(chunk.subarray(0, limit - size));
      size += chunk.length;
      if (size > limit) {
        // More than we read: drop the rest with the connection instead of downloading it.
        body.destroy();
        break;
      }
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  async function send(request: CallbackRequest): Promise<AttemptResult> {
    const started = now();
    const elapsed = () => now() - started;
    const entry = poolFor(request.url.origin);
    entry.inFlight += 1;
    entry.lastUsed = started;
    const deadline = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      deadline.abort();
    }, options.timeoutMs);
    running.add(deadline);
    if (closed) deadline.abort();
    try {
      const response = await entry.pool.request({
        method: 'POST',
        path: `${request.url.pathname}${request.url.search}`,
        headers: request.headers,
        body: request.body,
        signal: deadline.signal,
      });
      const bodySnippet = await readCapped(response.body);
      return {
        kind: 'response',
        status: response.statusCode,
        headers: response.headers,
        bodySnippet,
        durationMs: elapsed(),
      };
    } catch (error) {
      const durationMs = elapsed();
      if (isDestinationRefusedError(error)) {
        return { kind: 'refused', message: error.message, category: error.category, durationMs };
      }
      const code = errorCode(error);
      if (timedOut || TIMEOUT_CODES.has(code)) return { kind: 'timeout', durationMs };
      return { kind: 'error', code, message: describeError(error), durationMs };
    } finally {
      clearTimeout(timer);
      running.delete(deadline);
      entry.inFlight -= 1;
      entry.lastUsed = now();
    }
  }

  return {
    send,
    get pools() {
      return pools.size;
    },
    sweep() {
      const t = now();
      for (const [origin, entry] of pools) {
        if (entry.inFlight === 0 && t - entry.lastUsed > poolIdleMs) {
          pools.delete(origin);
          void entry.pool.close().catch(() => undefined);
        }
      }
    },
    async close() {
      closed = true;
      for (const controller of running) controller.abort();
      running.clear();
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((e) => e.pool.destroy().catch(() => undefined)));
    },
  };
}

function errorCode(error: unknown): string {
  const direct = (error as { code?: unknown } | null)?.code;
  if (typeof direct === 'string') return direct;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (typeof cause === 'string') return cause;
  if (error instanceof AggregateError) {
    const inner = (error.errors[0] as { code?: unknown } | undefined)?.code;
    if (typeof inner === 'string') return inner;
  }
  return 'ERROR';
}

/** A short description without the URL (it may carry a token) or anything from the peer. */
function describeError(error: unknown): string {
  const code = errorCode(error);
  const name = error instanceof Error ? error.name : 'Error';
  const syscall = (error as { syscall?: unknown } | null)?.syscall;
  return `${name} ${code}${typeof syscall === 'string' ? ` (${syscall})` : ''}`;
}
