import { z } from 'zod';

/**
 * The body of `POST /v1/messages`, as the SDK's `MessageCreateParams` declares it. Objects the sim
 * reads are strict (the API answers `<path>: Extra inputs are not permitted` for unknown fields);
 * block types and parameters it accepts but does not interpret (documents, server tools,
 * thinking, ...) are checked for their `type` only.
 */
const cacheControl = z
  .strictObject({ type: z.literal('ephemeral'), ttl: z.enum(['5m', '1h']).optional() })
  .nullable()
  .optional();

const textBlock = z.strictObject({
  type: z.literal('text'),
  text: z.string(),
  cache_control: cacheControl,
  citations: z
    .array(z.looseObject({ type: z.string() }))
    .nullable()
    .optional(),
});

const imageSource = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('base64'),
    media_type: z.enum(['image/jpeg', 'image/png', 'image/gif', 'image/webp']),
    data: z.string(),
  }),
  z.strictObject({ type: z.literal('url'), url: z.string() }),
  z.strictObject({ type: z.literal('file'), file_id: z.string() }),
]);

const imageBlock = z.strictObject({
  type: z.literal('image'),
  source: imageSource,
  cache_control: cacheControl,
});

const toolUseBlock = z.strictObject({
  type: z.literal('tool_use'),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
  cache_control: cacheControl,
  caller: z.looseObject({ type: z.string() }).optional(),
  toolset_name: z.string().nullable().optional(),
});

// Inside a tool_result: text and images are read; other kinds are carried along.
const toolResultContentBlock = z.union([
  textBlock,
  imageBlock,
  z.looseObject({
    type: z.enum(['document', 'search_result', 'tool_reference', 'browser_state']),
  }),
]);

const toolResultBlock = z.strictObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(toolResultContentBlock)]).optional(),
  is_error: z.boolean().optional(),
  cache_control: cacheControl,
  toolset_name: z.string().nullable().optional(),
});

/** Block types the sim accepts without reading more than their `type` (and `cache_control`). */
export const OPAQUE_BLOCK_TYPES = [
  'document',
  'search_result',
  'thinking',
  'redacted_thinking',
  'server_tool_use',
  'web_search_tool_result',
  'web_fetch_tool_result',
  'code_execution_tool_result',
  'bash_code_execution_tool_result',
  'text_editor_code_execution_tool_result',
  'tool_search_tool_result',
  'container_upload',
] as const;

const opaqueBlock = z.looseObject({
  type: z.enum(OPAQUE_BLOCK_TYPES),
  cache_control: cacheControl,
});

export const contentBlockSchema = z.discriminatedUnion('type', [
  textBlock,
  imageBlock,
  toolUseBlock,
  toolResultBlock,
  opaqueBlock,
]);

const messageSchema = z.strictObject({
  role: z.enum(['user', 'assistant', 'system']),
  content: z.union([z.string(), z.array(contentBlockSchema)]),
});

const customTool = z.strictObject({
  name: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{1,128}$/, "String should match pattern '^[a-zA-Z0-9_-]{1,128}$'"),
  input_schema: z.looseObject({ type: z.literal('object') }),
  description: z.string().optional(),
  type: z.literal('custom').nullable().optional(),
  cache_control: cacheControl,
  strict: z.boolean().optional(),
  defer_loading: z.boolean().optional(),
  eager_input_streaming: z.boolean().nullable().optional(),
  input_examples: z.array(z.record(z.string(), z.unknown())).optional(),
  allowed_callers: z.array(z.string()).optional(),
});

// Server and versioned tools (`web_search_20250305`, `bash_20250124`, ...): accepted, never called.
const serverTool = z.looseObject({
  type: z.string().regex(/_\d{8}$/, 'must be a versioned tool type'),
  name: z.string().min(1),
  cache_control: cacheControl,
});

const toolChoice = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
  z.strictObject({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
  z.strictObject({
    type: z.literal('tool'),
    name: z.string().min(1),
    disable_parallel_tool_use: z.boolean().optional(),
  }),
  z.strictObject({ type: z.literal('none') }),
]);

const thinking = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('enabled'), budget_tokens: z.number().int().min(1024) }),
  z.looseObject({ type: z.literal('disabled') }),
  z.looseObject({ type: z.literal('adaptive') }),
  z.looseObject({ type: z.literal('between_tools') }),
]);

const outputConfig = z.strictObject({
  effort: z.enum(['low', 'medium', 'high', 'xhigh', 'max']).nullable().optional(),
  format: z
    .strictObject({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) })
    .nullable()
    .optional(),
});

export const messagesRequestSchema = z.strictObject({
  model: z.string().min(1),
  max_tokens: z.number().int().nonnegative(),
  messages: z.array(messageSchema),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  stop_sequences: z.array(z.string()).optional(),
  stream: z.boolean().optional(),
  tools: z.array(z.union([customTool, serverTool])).optional(),
  tool_choice: toolChoice.optional(),
  cache_control: cacheControl,
  metadata: z.strictObject({ user_id: z.string().max(256).nullable().optional() }).optional(),
  thinking: thinking.optional(),
  output_config: outputConfig.optional(),
  service_tier: z.enum(['auto', 'standard_only']).optional(),
  speed: z.enum(['standard', 'fast']).nullable().optional(),
  inference_geo: z.string().nullable().optional(),
  container: z.unknown().optional(),
  diagnostics: z.unknown().optional(),
  context_management: z.unknown().optional(),
  mcp_servers: z.array(z.unknown()).optional(),
  // Sampling parameters older SDK versions send: accepted and ignored (the sim is deterministic).
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().nonnegative().optional(),
});

export type MessagesRequestBody = z.infer<typeof messagesRequestSchema>;
export type ContentBlockParam = z.infer<typeof contentBlockSchema>;
export type TextBlockParam = z.infer<typeof textBlock>;
export type MessageParam = z.infer<typeof messageSchema>;
export type ToolParam = NonNullable<MessagesRequestBody['tools']>[number];
export type CustomToolParam = z.infer<typeof customTool>;
export type ToolChoiceParam = z.infer<typeof toolChoice>;
export type CacheControlParam = z.infer<typeof cacheControl>;

/** The body of `POST /v1/messages/count_tokens`: the same minus the generation parameters. */
export const countTokensRequestSchema = messagesRequestSchema
  .omit({
    max_tokens: true,
    stop_sequences: true,
    stream: true,
    metadata: true,
    service_tier: true,
    inference_geo: true,
    container: true,
    temperature: true,
    top_p: true,
    top_k: true,
  })
  .extend({});
