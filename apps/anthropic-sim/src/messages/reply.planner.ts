import { hash } from 'node:crypto';
import type { GenerationSettings } from '../config.ts';
import { stableId } from '../ids.ts';
import { intBetween, seededRandom, type Random } from '../random.ts';
import type { ContentBlock, Message, StopReason } from '../wire.types.ts';
import { turnText, type MessagesRequest } from './messages-request.ts';
import type { CacheUsage } from './prompt-cache.ts';
import type { CustomToolParam } from './request.schema.ts';
import { valueForSchema } from './schema-value.ts';
import { generateTokens, requestedOutputTokens } from './text.generator.ts';

/** What the sim will answer: the final message, and its blocks in the pieces a stream sends. */
export interface ReplyPlan {
  message: Message;
  blocks: PlannedBlock[];
}

export type PlannedBlock =
  | { type: 'text'; tokens: string[] }
  | { type: 'tool_use'; id: string; name: string; input: unknown; json: string };

export interface ReplyOptions {
  generation: GenerationSettings;
  cache: CacheUsage;
  messageId: string;
  serviceTier: 'standard' | 'batch';
}

/** Output tokens a tool call costs besides its JSON (name and framing). */
const TOOL_CALL_OVERHEAD_TOKENS = 10;

const STRING_WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];

function chooseTool(
  request: MessagesRequest,
  lastUserText: string,
  random: Random,
): CustomToolParam | undefined {
  const tools = request.customTools;
  const choice = request.body.tool_choice ?? { type: 'auto' };
  const finalTurn = request.turns.at(-1);
  if (tools.length === 0 || choice.type === 'none' || finalTurn?.role !== 'user') return undefined;
  const mentioned = tools.find((t) => lastUserText.includes(t.name));
  switch (choice.type) {
    case 'tool':
      return tools.find((t) => t.name === choice.name);
    case 'any':
      return mentioned ?? tools[Math.floor(random() * tools.length)];
    case 'auto': {
      // A conversation that just got a tool's result is answered in text, as a model would.
      const answeredTool = finalTurn.blocks.some((b) => b.type === 'tool_result');
      return answeredTool ? undefined : mentioned;
    }
  }
}

/** Splits text into chunks of about one token each. */
function chunk(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

interface Cut {
  tokens: string[];
  stop: StopReason | undefined;
  sequence: string | null;
}

/** Emits tokens until `max_tokens` or the earliest stop sequence (which is not part of the text). */
function cutTokens(
  tokens: readonly string[],
  maxTokens: number,
  stopSequences: readonly string[],
): Cut {
  const out: string[] = [];
  const longest = Math.max(0, ...stopSequences.map((s) => s.length));
  let text = '';
  for (const token of tokens) {
    if (out.length >= maxTokens) return { tokens: out, stop: 'max_tokens', sequence: null };
    const candidate = text + token;
    const from = Math.max(0, text.length - longest);
    let found: { at: number; sequence: string } | undefined;
    for (const sequence of stopSequences) {
      const at = candidate.indexOf(sequence, from);
      if (at >= 0 && (found === undefined || at < found.at)) found = { at, sequence };
    }
    if (found !== undefined) {
      const piece = candidate.slice(text.length, found.at);
      if (piece !== '') out.push(piece);
      return { tokens: out, stop: 'stop_sequence', sequence: found.sequence };
    }
    out.push(token);
    text = candidate;
  }
  return { tokens: out, stop: undefined, sequence: null };
}

/**
 * Plans a deterministic reply: the same request (model, system, messages, tools) gets the same
 * text and tool input every time. Tool use: `tool_choice` `tool`/`any`, or `auto` when the last
 * user turn names a tool. Structured output: a JSON value of `output_config.format.schema`.
 */
export function planReply(request: MessagesRequest, options: ReplyOptions): ReplyPlan {
  const { body } = request;
  const { generation } = options;
  const digest = hash(
    'sha256',
    JSON.stringify([body.model, request.system, request.turns, body.tools ?? null]),
    'buffer',
  );
  const random = seededRandom(digest.readUInt32BE(0));
  const lastUser = request.turns.findLast((t) => t.role === 'user');
  const lastUserText = lastUser === undefined ? '' : turnText(lastUser.blocks);
  const tool = chooseTool(request, lastUserText, random);
  const forced = body.tool_choice?.type === 'any' || body.tool_choice?.type === 'tool';

  let draft: string[];
  const format = body.output_config?.format;
  if (tool !== undefined) {
    draft = forced ? [] : ["I'll", ' use', ' the', ` ${tool.name}`, ' tool.'];
  } else if (format !== undefined && format !== null) {
    draft = chunk(
      JSON.stringify(valueForSchema(format.schema, random, STRING_WORDS)),
      generation.charsPerToken,
    );
  } else {
    const count =
      requestedOutputTokens(lastUserText) ??
      intBetween(random, generation.outputTokensMin, generation.outputTokensMax);
    // One past max_tokens is enough to know the reply was cut.
    draft = generateTokens(random, count, body.max_tokens + 1);
  }

  const cut = cutTokens(draft, body.max_tokens, body.stop_sequences ?? []);
  const blocks: PlannedBlock[] = [];
  if (cut.tokens.length > 0) blocks.push({ type: 'text', tokens: cut.tokens });
  let outputTokens = cut.tokens.length;
  let stop: StopReason = cut.stop ?? 'end_turn';
  if (tool !== undefined && cut.stop === undefined) {
    const input = valueForSchema(tool.input_schema, random, STRING_WORDS);
    const json = JSON.stringify(input);
    const toolTokens =
      Math.ceil(json.length / generation.charsPerToken) + TOOL_CALL_OVERHEAD_TOKENS;
    if (outputTokens + toolTokens <= body.max_tokens) {
      blocks.push({
        type: 'tool_use',
        id: stableId('toolu', digest.subarray(4)),
        name: tool.name,
        input,
        json,
      });
      outputTokens += toolTokens;
      stop = 'tool_use';
    } else {
      stop = 'max_tokens';
    }
  }
  // The API bills at least one output token for any generation, even an empty one.
  if (body.max_tokens > 0) outputTokens = Math.max(1, outputTokens);

  const content: ContentBlock[] = blocks.map((block) =>
    block.type === 'text'
      ? { type: 'text', text: block.tokens.join(''), citations: null }
      : {
          type: 'tool_use',
          id: block.id,
          name: block.name,
          input: block.input,
          caller: { type: 'direct' },
        },
  );
  const { cache } = options;
  const message: Message = {
    id: options.messageId,
    type: 'message',
    role: 'assistant',
    model: body.model,
    content,
    stop_reason: stop,
    stop_sequence: cut.sequence,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: {
      input_tokens: cache.uncachedTokens,
      cache_creation_input_tokens: cache.creation5mTokens + cache.creation1hTokens,
      cache_read_input_tokens: cache.readTokens,
      cache_creation: {
        ephemeral_5m_input_tokens: cache.creation5mTokens,
        ephemeral_1h_input_tokens: cache.creation1hTokens,
      },
      output_tokens: outputTokens,
      output_tokens_details: null,
      server_tool_use: null,
      service_tier: options.serviceTier,
      inference_geo: body.inference_geo ?? null,
      speed: body.speed ?? null,
    },
  };
  return { message, blocks };
}
