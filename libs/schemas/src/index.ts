// Public entry of @claude-pipeline/schemas: zod schemas of every topic value and HTTP body,
// parse helpers, lifecycle rules, JSON Schema / AsyncAPI export and the compatibility check.
export * from './common.ts';
export * from './messages.ts';
export * from './events.ts';
export * from './dedupe.ts';
export * from './jobs.ts';
export * from './results.ts';
export * from './status.ts';
export * from './stream.ts';
export * from './batches.ts';
export * from './http.ts';
export * from './callback.ts';
export * from './problem.ts';
export * from './headers.ts';
export * from './errors.ts';
export * from './contracts.ts';
export * from './parse.ts';
export * from './json-schema.ts';
export * from './topics.ts';
export * from './asyncapi.ts';
export * from './compat.ts';
export * from './generated.ts';
