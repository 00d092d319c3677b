/**
 * The wire shapes the sim answers with, taken from the real SDK's own types (type-only: nothing of
 * the SDK is loaded at run time). Building responses against these makes `tsc` check the sim's
 * fidelity: a field the SDK declares and the sim forgets fails the typecheck.
 */
export type {
  CacheControlEphemeral,
  ContentBlock,
  Message,
  MessageDeltaUsage,
  Model,
  RawMessageStreamEvent,
  StopReason,
  TextBlock,
  ToolUseBlock,
  Usage,
} from '@anthropic-ai/sdk/resources/messages';
export type {
  DeletedMessageBatch,
  MessageBatch,
  MessageBatchIndividualResponse,
  MessageBatchRequestCounts,
  MessageBatchResult,
} from '@anthropic-ai/sdk/resources/messages/batches';
export type { ErrorResponse, ErrorType } from '@anthropic-ai/sdk/resources/shared';
export type { ModelInfo } from '@anthropic-ai/sdk/resources/models';
