import { invalidRequest, notFound } from '../errors.ts';
import type { ModelCatalog, ModelSpec } from '../models.ts';
import { parseOrThrow } from '../validation.ts';
import {
  messagesRequestSchema,
  type ContentBlockParam,
  type CustomToolParam,
  type MessagesRequestBody,
  type TextBlockParam,
} from './request.schema.ts';

/** One turn after consecutive messages of a role were combined, as the API does. */
export interface Turn {
  role: 'user' | 'assistant';
  blocks: ContentBlockParam[];
  /** Index in `messages` of the turn's first message (for error paths). */
  index: number;
}

/** A validated Messages request in the shape the sim works with. */
export interface MessagesRequest {
  body: MessagesRequestBody;
  model: ModelSpec;
  /** The `system` parameter and any `role: "system"` messages, as text blocks in order. */
  system: TextBlockParam[];
  turns: Turn[];
  /** Tools the sim may call (custom tools with an input schema). */
  customTools: CustomToolParam[];
  /** Text of the first user turn (what fault rules match on). */
  firstUserText: string;
}

const textOf = (blocks: readonly ContentBlockParam[]): string =>
  blocks
    .map((b) => {
      if (b.type === 'text') return b.text;
      if (b.type === 'tool_result') {
        if (typeof b.content === 'string') return b.content;
        return (b.content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n');
      }
      return '';
    })
    .filter((t) => t !== '')
    .join('\n');

const blocksOf = (content: string | ContentBlockParam[]): ContentBlockParam[] =>
  typeof content === 'string' ? [{ type: 'text', text: content }] : content;

/** Text of the first user message, tolerant of any body (fault rules look before validation). */
export function firstUserTextOf(body: unknown): string {
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return '';
  const first = messages.find((m: { role?: unknown }) => m?.role === 'user') as
    { content?: unknown } | undefined;
  if (typeof first?.content === 'string') return first.content;
  if (!Array.isArray(first?.content)) return '';
  return first.content
    .map((b: { type?: unknown; text?: unknown }) =>
      b?.type === 'text' && typeof b.text === 'string' ? b.text : '',
    )
    .join('\n');
}

function toTurns(body: MessagesRequestBody, system: TextBlockParam[]): Turn[] {
  const turns: Turn[] = [];
  body.messages.forEach((message, index) => {
    if (message.role === 'system') {
      for (const block of blocksOf(message.content)) {
        if (block.type !== 'text') {
          throw invalidRequest(`messages.${index}.content: system messages may only contain text`);
        }
        system.push(block);
      }
      return;
    }
    const blocks = blocksOf(message.content);
    const last = turns.at(-1);
    if (last?.role === message.role) last.blocks.push(...blocks);
    else turns.push({ role: message.role, blocks: [...blocks], index });
  });
  return turns;
}

function checkTurns(turns: readonly Turn[]): void {
  const first = turns[0];
  if (first === undefined) throw invalidRequest('messages: at least one message is required');
  if (first.role !== 'user') {
    throw invalidRequest('messages: first message must use the "user" role');
  }
  turns.forEach((turn, i) => {
    const isFinalAssistant = i === turns.length - 1 && turn.role === 'assistant';
    if (
      !isFinalAssistant &&
      textOf(turn.blocks) === '' &&
      turn.blocks.every((b) => b.type === 'text')
    ) {
      throw invalidRequest(
        `messages.${turn.index}: all messages must have non-empty content except for the optional final assistant message`,
      );
    }
    if (isFinalAssistant) {
      const lastBlock = turn.blocks.at(-1);
      if (lastBlock?.type === 'text' && /\s$/.test(lastBlock.text)) {
        throw invalidRequest(
          'messages: final assistant content cannot end with trailing whitespace',
        );
      }
    }
    const previous = turns[i - 1];
    const toolUseIds = new Set(
      (previous?.role === 'assistant' ? previous.blocks : []).flatMap((b) =>
        b.type === 'tool_use' ? [b.id] : [],
      ),
    );
    if (turn.role === 'user') {
      const resultIds = new Set<string>();
      for (const block of turn.blocks) {
        if (block.type !== 'tool_result') continue;
        if (!toolUseIds.has(block.tool_use_id)) {
          throw invalidRequest(
            `messages.${turn.index}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${block.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
          );
        }
        resultIds.add(block.tool_use_id);
      }
      const unanswered = [...toolUseIds].filter((id) => !resultIds.has(id));
      if (unanswered.length > 0 && previous !== undefined) {
        throw invalidRequest(
          `messages.${previous.index}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${unanswered.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
        );
      }
    }
  });
}

function checkTools(body: MessagesRequestBody): CustomToolParam[] {
  const tools = body.tools ?? [];
  const names = new Set<string>();
  for (const tool of tools) {
    if (names.has(tool.name)) throw invalidRequest('tools: Tool names must be unique.');
    names.add(tool.name);
  }
  const choice = body.tool_choice;
  if (
    choice !== undefined &&
    choice.type !== 'auto' &&
    choice.type !== 'none' &&
    tools.length === 0
  ) {
    throw invalidRequest('tool_choice: tool_choice may only be specified while providing tools');
  }
  if (choice?.type === 'tool' && !names.has(choice.name)) {
    throw invalidRequest(`tool_choice.name: Tool '${choice.name}' not found in tools`);
  }
  return tools.filter((t): t is CustomToolParam => 'input_schema' in t);
}

function checkGeneration(body: MessagesRequestBody, model: ModelSpec): void {
  if (body.max_tokens > model.maxOutputTokens) {
    throw invalidRequest(
      `max_tokens: ${body.max_tokens} > ${model.maxOutputTokens}, which is the maximum allowed number of output tokens for ${model.id}`,
    );
  }
  if (body.thinking?.type === 'enabled' && body.thinking.budget_tokens >= body.max_tokens) {
    throw invalidRequest('`max_tokens` must be greater than `thinking.budget_tokens`');
  }
  for (const sequence of body.stop_sequences ?? []) {
    if (sequence.trim() === '') {
      throw invalidRequest('stop_sequences: each stop sequence must contain non-whitespace');
    }
  }
}

/**
 * Validates a body like the API: shape (400), model (404 `model: <id>`), limits and turn rules
 * (400). Consecutive messages of one role are combined into one turn, as the API documents.
 */
export function parseMessagesRequest(body: unknown, models: ModelCatalog): MessagesRequest {
  const parsed = parseOrThrow(messagesRequestSchema, body);
  const model = models.find(parsed.model);
  if (model === undefined) throw notFound(`model: ${parsed.model}`);
  checkGeneration(parsed, model);
  const system: TextBlockParam[] =
    typeof parsed.system === 'string'
      ? parsed.system === ''
        ? []
        : [{ type: 'text', text: parsed.system }]
      : [...(parsed.system ?? [])];
  const turns = toTurns(parsed, system);
  checkTurns(turns);
  const customTools = checkTools(parsed);
  const firstUser = turns.find((t) => t.role === 'user');
  return {
    body: parsed,
    model,
    system,
    turns,
    customTools,
    firstUserText: firstUser === undefined ? '' : textOf(firstUser.blocks),
  };
}

/** Text of a turn: text blocks and tool results (what the reply is seeded from). */
export const turnText = textOf;
