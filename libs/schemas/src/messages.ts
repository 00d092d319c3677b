import { z } from 'zod';

/**
 * The subset of the Anthropic Messages API shapes a job may carry: text, tool use and tool
 * results (no images or documents yet; adding a block type is a new union variant, see README).
 * Field names follow the API, so the worker forwards them without renaming.
 */

export const cacheControlSchema = z
  .object({
    type: z.literal('ephemeral'),
    ttl: z.enum(['5m', '1h']).optional(),
  })
  .describe('Prompt-caching breakpoint.');

export const textBlockSchema = z.object({
  type: z.literal('text'),
  text: z.string(),
  cache_control: cacheControlSchema.optional(),
});
export type TextBlock = z.infer<typeof textBlockSchema>;

/** Same alphabet and limit the Messages API enforces on tool names. */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
const toolNameSchema = z.string().regex(TOOL_NAME_PATTERN);
const toolUseIdSchema = z.string().min(1).max(256);

export const toolUseBlockSchema = z.object({
  type: z.literal('tool_use'),
  id: toolUseIdSchema,
  name: toolNameSchema,
  input: z.record(z.string(), z.unknown()),
});
export type ToolUseBlock = z.infer<typeof toolUseBlockSchema>;

export const toolResultBlockSchema = z.object({
  type: z.literal('tool_result'),
  tool_use_id: toolUseIdSchema,
  content: z.union([z.string(), z.array(textBlockSchema)]).optional(),
  is_error: z.boolean().optional(),
  cache_control: cacheControlSchema.optional(),
});
export type ToolResultBlock = z.infer<typeof toolResultBlockSchema>;

export const requestContentBlockSchema = z.discriminatedUnion('type', [
  textBlockSchema,
  toolUseBlockSchema,
  toolResultBlockSchema,
]);
export type RequestContentBlock = z.infer<typeof requestContentBlockSchema>;

export const messageParamSchema = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.union([z.string(), z.array(requestContentBlockSchema).min(1)]),
});
export type MessageParam = z.infer<typeof messageParamSchema>;

export const systemPromptSchema = z
  .union([z.string(), z.array(textBlockSchema).min(1)])
  .describe('System prompt: a string, or text blocks (to place cache breakpoints).');
export type SystemPrompt = z.infer<typeof systemPromptSchema>;

export const toolSchema = z.object({
  name: toolNameSchema,
  description: z.string().optional(),
  input_schema: z
    .looseObject({ type: z.literal('object') })
    .describe('JSON Schema of the tool input.'),
  cache_control: cacheControlSchema.optional(),
});
export type Tool = z.infer<typeof toolSchema>;

export const toolChoiceSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal('none') }),
  z.object({
    type: z.literal('tool'),
    name: toolNameSchema,
    disable_parallel_tool_use: z.boolean().optional(),
  }),
]);
export type ToolChoice = z.infer<typeof toolChoiceSchema>;

/** Upper bound of `max_tokens` accepted on a job; the model's own limit may be lower. */
export const MAX_TOKENS_LIMIT = 128_000;

export const maxTokensSchema = z
  .int()
  .min(1)
  .max(MAX_TOKENS_LIMIT)
  .describe('Maximum output tokens.');
export const temperatureSchema = z.number().min(0).max(1);

/** Content blocks of a model response that a result carries. */
export const responseContentBlockSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  toolUseBlockSchema,
]);
export type ResponseContentBlock = z.infer<typeof responseContentBlockSchema>;

export const STOP_REASONS = [
  'end_turn',
  'max_tokens',
  'stop_sequence',
  'tool_use',
  'pause_turn',
  'refusal',
  'model_context_window_exceeded',
] as const;
export const stopReasonSchema = z.enum(STOP_REASONS);
export type StopReason = z.infer<typeof stopReasonSchema>;

const tokenCount = z.int().min(0);

/** Token usage; cache counters are 0 (never absent) when no cache was read or written. */
export const usageSchema = z.object({
  input_tokens: tokenCount,
  output_tokens: tokenCount,
  cache_creation_input_tokens: tokenCount,
  cache_read_input_tokens: tokenCount,
});
export type Usage = z.infer<typeof usageSchema>;
