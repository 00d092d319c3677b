import Anthropic from '@anthropic-ai/sdk';
import type {
  Message,
  MessageCreateParamsNonStreaming,
  RawMessageStreamEvent,
} from '@anthropic-ai/sdk/resources/messages/messages';

/**
 * The Messages API behind a small port: one call, JSON or streamed, returning the final message
 * and the response headers (rate-limit correction). The SDK retries nothing (`maxRetries: 0`):
 * the worker's retry chain and rate limiter are the only ones, so waits never stack.
 */
export type MessageParams = Omit<MessageCreateParamsNonStreaming, 'stream'>;

export interface CallResult {
  message: Message;
  headers: Headers;
}

/** Thrown by `call` with the headers of a response that began, so the caller can still read them. */
export interface CallOptions {
  stream: boolean;
  /** Every raw event of a streamed call, in order. */
  onEvent?: (event: RawMessageStreamEvent) => void;
  /** Told when a streamed response has begun (after which a failure is a broken stream). */
  onResponse?: (headers: Headers) => void;
  signal?: AbortSignal;
}

export interface MessagesClient {
  call(params: MessageParams, options: CallOptions): Promise<CallResult>;
}

export function createMessagesClient(options: {
  apiKey: string;
  baseURL: string;
  timeoutMs: number;
}): MessagesClient {
  const client = new Anthropic({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    maxRetries: 0,
    timeout: options.timeoutMs,
    // The SDK makes its own spans and would also write `traceparent` itself; the undici
    // instrumentation (libs/telemetry) already does, and two values in one header break the
    // link to the API's server span. The SDK documents `propagation: false` for this case.
    openTelemetry: { propagation: false },
  });
  return {
    async call(params, { stream, onEvent, onResponse, signal }) {
      const requestOptions = signal ? { signal } : {};
      if (!stream) {
        const { data, response } = await client.messages
          .create({ ...params, stream: false }, requestOptions)
          .withResponse();
        return { message: data, headers: response.headers };
      }
      const messageStream = client.messages.stream(params, requestOptions);
      const { response } = await messageStream.withResponse();
      onResponse?.(response.headers);
      for await (const event of messageStream) onEvent?.(event);
      const message = await messageStream.finalMessage();
      return { message, headers: response.headers };
    },
  };
}

/**
 * Whether the SDK would refuse `max_tokens` without streaming: it expects up to 60 minutes for
 * 128,000 output tokens and throws above 10 minutes (`calculateNonstreamingTimeout` in
 * @anthropic-ai/sdk client), i.e. above 21,333 tokens, or above the per-model limits of
 * MODEL_NONSTREAMING_TOKENS (8,192 for Opus 4 / 4.1 on cloud platforms). With an explicit timeout
 * the SDK skips that check, so the worker applies it itself: long generations are streamed.
 */
const NONSTREAMING_TOKENS: Readonly<Record<string, number>> = {
  'claude-opus-4@20250514': 8192,
  'anthropic.claude-opus-4-1-20250805-v1:0': 8192,
  'claude-opus-4-1@20250805': 8192,
};
const MAX_NONSTREAMING_MS = 10 * 60 * 1000; // 10 minutes
const FULL_OUTPUT_MS = 60 * 60 * 1000; // 60 minutes for 128,000 tokens
const FULL_OUTPUT_TOKENS = 128_000;

export function requiresStreaming(model: string, maxTokens: number): boolean {
  const expectedMs = (FULL_OUTPUT_MS * maxTokens) / FULL_OUTPUT_TOKENS;
  const modelLimit = NONSTREAMING_TOKENS[model];
  return expectedMs > MAX_NONSTREAMING_MS || (modelLimit !== undefined && maxTokens > modelLimit);
}
