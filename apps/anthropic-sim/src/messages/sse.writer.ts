import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { GenerationSettings } from '../config.ts';
import type { FaultAction } from '../faults/fault.schema.ts';
import type { RequestContext } from '../http/request-context.ts';
import type { MessageDeltaUsage, RawMessageStreamEvent } from '../wire.types.ts';
import type { ReplyPlan } from './reply.planner.ts';

/**
 * Streams a planned reply as the API's server-sent events: `message_start`, per block
 * `content_block_start` / `content_block_delta` (`text_delta`, `input_json_delta`) /
 * `content_block_stop`, then `message_delta` (cumulative usage) and `message_stop`, with a `ping`
 * after the first block starts and whenever the stream would be silent for the ping interval.
 * Pace: the first delta after the time to first token, then tokens per second.
 */
export interface StreamOptions {
  res: ServerResponse;
  plan: ReplyPlan;
  headers: Readonly<Record<string, string>>;
  generation: GenerationSettings;
  /** `stream_error` or `stream_reset`, applied after that many deltas. */
  fault: Extract<FaultAction, { type: 'stream_error' | 'stream_reset' }> | undefined;
  ctx: RequestContext;
}

/** Deltas are at least this far apart, milliseconds: faster paces send several tokens per delta. */
const MIN_DELTA_INTERVAL_MS = 10;
/** Tokens per delta when there is no pacing at all. */
const UNPACED_TOKENS_PER_DELTA = 16;

const frame = (event: string, data: unknown): string =>
  `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** Streams the reply; resolves with the output tokens actually sent (for the rate limiter). */
export async function streamReply(options: StreamOptions): Promise<number> {
  const { res, plan, generation, fault, ctx } = options;
  const { message } = plan;
  const tps = generation.tokensPerSecond;
  const tokensPerDelta =
    tps > 0
      ? Math.max(1, Math.ceil((tps * MIN_DELTA_INTERVAL_MS) / 1000))
      : UNPACED_TOKENS_PER_DELTA;
  const paceMs = (tokens: number): number => (tps > 0 ? (tokens * 1000) / tps : 0);

  let deltas = 0;
  let sentTokens = 0;
  let stopped = false;

  const write = async (event: RawMessageStreamEvent | { type: 'ping' }): Promise<void> => {
    if (!ctx.measure(() => res.write(frame(event.type, event)))) {
      await once(res, 'drain', { signal: ctx.signal });
    }
  };

  /** Waits with pings, so a slow first token does not look like a dead connection. */
  const wait = async (ms: number): Promise<void> => {
    let left = ms;
    while (left > generation.pingIntervalMs) {
      await ctx.sleep(generation.pingIntervalMs);
      left -= generation.pingIntervalMs;
      await write({ type: 'ping' });
    }
    await ctx.sleep(left);
  };

  /** Applies the fault once enough deltas went out; true when the stream must stop. */
  const faultDue = async (): Promise<boolean> => {
    if (fault === undefined || deltas < fault.after_events) return false;
    stopped = true;
    if (fault.type === 'stream_reset') {
      ctx.status = 'stream_reset';
      res.destroy();
      return true;
    }
    ctx.status = 'stream_error';
    const body = {
      type: 'error',
      error: { type: fault.error_type, message: fault.message ?? 'Overloaded' },
      request_id: ctx.requestId,
    };
    res.end(frame('error', body));
    return true;
  };

  const delta = async (
    event: RawMessageStreamEvent,
    tokens: number,
    first: boolean,
  ): Promise<boolean> => {
    await wait(first ? generation.ttftMs : paceMs(tokens));
    await write(event);
    deltas++;
    sentTokens += tokens;
    return faultDue();
  };

  res.writeHead(200, {
    ...options.headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  });
  await write({
    type: 'message_start',
    message: {
      ...message,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...message.usage, output_tokens: Math.min(1, message.usage.output_tokens) },
    },
  });
  if (await faultDue()) return sentTokens;

  let first = true;
  for (const [index, block] of plan.blocks.entries()) {
    if (block.type === 'text') {
      await write({
        type: 'content_block_start',
        index,
        content_block: { type: 'text', text: '', citations: null },
      });
      if (index === 0) await write({ type: 'ping' });
      for (let i = 0; i < block.tokens.length; i += tokensPerDelta) {
        const piece = block.tokens.slice(i, i + tokensPerDelta);
        const event: RawMessageStreamEvent = {
          type: 'content_block_delta',
          index,
          delta: { type: 'text_delta', text: piece.join('') },
        };
        if (await delta(event, piece.length, first)) return sentTokens;
        first = false;
      }
    } else {
      await write({
        type: 'content_block_start',
        index,
        content_block: {
          type: 'tool_use',
          id: block.id,
          name: block.name,
          input: {},
          caller: { type: 'direct' },
        },
      });
      if (index === 0) await write({ type: 'ping' });
      // The API opens a tool's input with an empty partial_json.
      await write({
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: '' },
      });
      const chars = Math.max(1, Math.round(tokensPerDelta * generation.charsPerToken));
      for (let i = 0; i < block.json.length; i += chars) {
        const piece = block.json.slice(i, i + chars);
        const tokens = Math.max(1, Math.round(piece.length / generation.charsPerToken));
        const event: RawMessageStreamEvent = {
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: piece },
        };
        if (await delta(event, tokens, first)) return sentTokens;
        first = false;
      }
    }
    await write({ type: 'content_block_stop', index });
  }

  const usage: MessageDeltaUsage = {
    input_tokens: message.usage.input_tokens,
    cache_creation_input_tokens: message.usage.cache_creation_input_tokens,
    cache_read_input_tokens: message.usage.cache_read_input_tokens,
    output_tokens: message.usage.output_tokens,
    output_tokens_details: null,
    server_tool_use: null,
  };
  await write({
    type: 'message_delta',
    delta: {
      stop_reason: message.stop_reason,
      stop_sequence: message.stop_sequence,
      stop_details: null,
      container: null,
    },
    usage,
  });
  if (!stopped) res.end(frame('message_stop', { type: 'message_stop' }));
  return message.usage.output_tokens;
}
