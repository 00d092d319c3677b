import type { MessageParam, SystemPrompt, Tool } from '@claude-pipeline/schemas';

/**
 * Input-token estimate made before a call, for the rate limiter (corrected from usage after).
 * Characters / `charsPerToken`, rounded up, plus a few tokens per turn and ~300 for the tool-use
 * system prompt: deliberately on the high side, so an estimate never lets through a request the
 * account's input-token limit would refuse.
 */
const PER_TURN = 4;
const TOOL_PROMPT = 350;

export function textOfSystem(system: SystemPrompt | undefined): string {
  if (system === undefined) return '';
  return typeof system === 'string' ? system : system.map((b) => b.text).join('');
}

function charsOfMessage(message: MessageParam): number {
  if (typeof message.content === 'string') return message.content.length;
  let n = 0;
  for (const block of message.content) {
    if (block.type === 'text') n += block.text.length;
    else if (block.type === 'tool_use') n += block.name.length + JSON.stringify(block.input).length;
    else if (typeof block.content === 'string') n += block.content.length;
    else if (block.content) for (const b of block.content) n += b.text.length;
  }
  return n;
}

export function estimateTokens(chars: number, charsPerToken: number): number {
  return Math.ceil(chars / charsPerToken);
}

export function estimateInputTokens(
  request: {
    system?: SystemPrompt | undefined;
    messages: readonly MessageParam[];
    tools?: readonly Tool[] | undefined;
  },
  charsPerToken: number,
): number {
  let chars = textOfSystem(request.system).length;
  for (const m of request.messages) chars += charsOfMessage(m);
  let tokens = estimateTokens(chars, charsPerToken) + PER_TURN * request.messages.length;
  if (request.tools && request.tools.length > 0) {
    tokens += TOOL_PROMPT + estimateTokens(JSON.stringify(request.tools).length, charsPerToken);
  }
  return tokens;
}
