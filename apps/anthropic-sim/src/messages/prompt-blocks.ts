import type { MessagesRequest } from './messages-request.ts';
import type { ContentBlockParam, ToolParam } from './request.schema.ts';

/**
 * A request's prompt as the API caches it: tools, then system, then messages, one block at a time,
 * each with its estimated size in tokens. A block with `cache_control` ends a cacheable prefix.
 */
export interface PromptBlock {
  /** Where the block sits: `tool`, `system`, `user` or `assistant`. */
  section: string;
  source: ContentBlockParam | ToolParam;
  tokens: number;
  /** Set on a cache breakpoint: the entry's time to live. */
  cacheTtl?: '5m' | '1h';
}

export interface PromptLayout {
  blocks: PromptBlock[];
  /** Sum of the blocks' tokens, at least 1. */
  totalTokens: number;
  hasBreakpoints: boolean;
}

// Estimates, documented in the README. The API counts with its tokenizer; the sim only needs sizes
// that grow with the input and are stable for a given input.
/** An image, tokens: about what the API bills for a ~1.15 megapixel image (width × height / 750). */
const IMAGE_TOKENS = 1_600;
/** Base64 payloads of documents, decoded bytes per token (a PDF page is ~1,500–3,000 tokens). */
const DOCUMENT_BYTES_PER_TOKEN = 33;
/** The tool-use system prompt the API adds when tools are present, tokens. */
const TOOL_SYSTEM_PROMPT_TOKENS = 300;
/** Role framing per turn, tokens. */
const TURN_OVERHEAD_TOKENS = 3;

const ttlOf = (source: {
  cache_control?: { ttl?: '5m' | '1h' | undefined } | null | undefined;
}): '5m' | '1h' | undefined =>
  source.cache_control === undefined || source.cache_control === null
    ? undefined
    : (source.cache_control.ttl ?? '5m');

function blockTokens(block: ContentBlockParam, perToken: (chars: number) => number): number {
  switch (block.type) {
    case 'text':
      return perToken(block.text.length);
    case 'image':
      return IMAGE_TOKENS;
    case 'tool_use':
      return perToken(block.name.length + JSON.stringify(block.input).length);
    case 'tool_result': {
      if (typeof block.content === 'string') return perToken(block.content.length) + 1;
      let tokens = 1;
      for (const part of block.content ?? []) {
        if (part.type === 'text') tokens += perToken(part.text.length);
        else if (part.type === 'image') tokens += IMAGE_TOKENS;
        else tokens += perToken(JSON.stringify(part).length);
      }
      return tokens;
    }
    default: {
      const data = (block as { source?: { data?: unknown } }).source?.data;
      if (typeof data === 'string') {
        const bytes = Math.floor((data.length * 3) / 4);
        return Math.ceil(bytes / DOCUMENT_BYTES_PER_TOKEN) + 16;
      }
      return perToken(JSON.stringify(block).length);
    }
  }
}

/** Lays out a request's prompt and estimates its input tokens (`charsPerToken` chars a token). */
export function layoutPrompt(request: MessagesRequest, charsPerToken: number): PromptLayout {
  const perToken = (chars: number): number => Math.ceil(chars / charsPerToken);
  const blocks: PromptBlock[] = [];
  const push = (block: PromptBlock): void => {
    blocks.push(block);
  };
  const withTtl = (
    block: Omit<PromptBlock, 'cacheTtl'>,
    ttl: '5m' | '1h' | undefined,
  ): PromptBlock => (ttl === undefined ? block : { ...block, cacheTtl: ttl });

  (request.body.tools ?? []).forEach((tool, i) => {
    const tokens =
      perToken(JSON.stringify(tool).length) + (i === 0 ? TOOL_SYSTEM_PROMPT_TOKENS : 0);
    push(withTtl({ section: 'tool', source: tool, tokens }, ttlOf(tool)));
  });
  for (const block of request.system) {
    push(
      withTtl(
        { section: 'system', source: block, tokens: perToken(block.text.length) },
        ttlOf(block),
      ),
    );
  }
  for (const turn of request.turns) {
    turn.blocks.forEach((block, i) => {
      const tokens = blockTokens(block, perToken) + (i === 0 ? TURN_OVERHEAD_TOKENS : 0);
      push(withTtl({ section: turn.role, source: block, tokens }, ttlOf(block)));
    });
  }

  // Top-level cache_control marks the last block (the API's automatic caching).
  const topLevel = ttlOf(request.body);
  const last = blocks.at(-1);
  if (topLevel !== undefined && last !== undefined && last.cacheTtl === undefined) {
    blocks[blocks.length - 1] = { ...last, cacheTtl: topLevel };
  }

  let total = 0;
  for (const block of blocks) total += block.tokens;
  return {
    blocks,
    totalTokens: Math.max(1, total),
    hasBreakpoints: blocks.some((b) => b.cacheTtl !== undefined),
  };
}

/** The block as part of a cache key: its content without the `cache_control` marker. */
export function canonicalBlock(block: PromptBlock): string {
  const { cache_control: _marker, ...content } = block.source as { cache_control?: unknown };
  return `${block.section}:${JSON.stringify(content)}`;
}
