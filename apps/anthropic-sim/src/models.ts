/**
 * The models the sim answers for. A request for any other model gets the API's 404
 * `not_found_error` (`model: <id>`), as an unknown or retired model does on the API.
 * `SIM_MODELS` adds ids (they get the default limits below).
 */
export interface ModelSpec {
  id: string;
  displayName: string;
  /** Largest `max_tokens` accepted, tokens. */
  maxOutputTokens: number;
  /** Context window, tokens. */
  maxInputTokens: number;
  /** Release date, RFC 3339 (what `GET /v1/models` reports). */
  createdAt: string;
}

/** The Messages API's limits for models the table does not know (tokens). */
const DEFAULT_MAX_OUTPUT_TOKENS = 64_000;
const DEFAULT_CONTEXT_TOKENS = 200_000;

// [id, display name, max output tokens, release date]
const TABLE: readonly (readonly [string, string, number, string])[] = [
  // Every id the SDK's `Model` type names is served; release dates of the newest are placeholders.
  ['claude-fable-5-2', 'Claude Fable 5.2', 128_000, '2026-10-01'],
  ['claude-mythos-5-2', 'Claude Mythos 5.2', 128_000, '2026-10-01'],
  ['claude-haiku-5-5', 'Claude Haiku 5.5', 64_000, '2026-09-01'],
  ['claude-sonnet-5-5', 'Claude Sonnet 5.5', 64_000, '2026-09-01'],
  ['claude-opus-5-5', 'Claude Opus 5.5', 128_000, '2026-09-01'],
  ['claude-fable-5-1', 'Claude Fable 5.1', 128_000, '2026-08-01'],
  ['claude-mythos-5-1', 'Claude Mythos 5.1', 128_000, '2026-08-01'],
  ['claude-fable-5', 'Claude Fable 5', 128_000, '2026-07-01'],
  ['claude-mythos-5', 'Claude Mythos 5', 128_000, '2026-07-01'],
  ['claude-opus-5', 'Claude Opus 5', 128_000, '2026-06-01'],
  ['claude-sonnet-5', 'Claude Sonnet 5', 64_000, '2026-06-01'],
  ['claude-opus-4-8', 'Claude Opus 4.8', 128_000, '2026-05-01'],
  ['claude-mythos-preview', 'Claude Mythos Preview', 128_000, '2026-04-01'],
  ['claude-opus-4-7', 'Claude Opus 4.7', 128_000, '2026-03-01'],
  ['claude-opus-4-6', 'Claude Opus 4.6', 128_000, '2026-02-05'],
  ['claude-sonnet-4-6', 'Claude Sonnet 4.6', 64_000, '2026-02-17'],
  ['claude-opus-4-5', 'Claude Opus 4.5', 64_000, '2025-11-24'],
  ['claude-opus-4-5-20251101', 'Claude Opus 4.5', 64_000, '2025-11-24'],
  ['claude-haiku-4-5', 'Claude Haiku 4.5', 64_000, '2025-10-15'],
  ['claude-haiku-4-5-20251001', 'Claude Haiku 4.5', 64_000, '2025-10-15'],
  ['claude-sonnet-4-5', 'Claude Sonnet 4.5', 64_000, '2025-09-29'],
  ['claude-sonnet-4-5-20250929', 'Claude Sonnet 4.5', 64_000, '2025-09-29'],
  ['claude-opus-4-1', 'Claude Opus 4.1', 32_000, '2025-08-05'],
  ['claude-opus-4-1-20250805', 'Claude Opus 4.1', 32_000, '2025-08-05'],
  ['claude-opus-4-0', 'Claude Opus 4', 32_000, '2025-05-22'],
  ['claude-opus-4-20250514', 'Claude Opus 4', 32_000, '2025-05-22'],
  ['claude-sonnet-4-0', 'Claude Sonnet 4', 64_000, '2025-05-22'],
  ['claude-sonnet-4-20250514', 'Claude Sonnet 4', 64_000, '2025-05-22'],
  ['claude-3-7-sonnet-latest', 'Claude Sonnet 3.7', 64_000, '2025-02-24'],
  ['claude-3-7-sonnet-20250219', 'Claude Sonnet 3.7', 64_000, '2025-02-24'],
  ['claude-3-5-haiku-latest', 'Claude Haiku 3.5', 8_192, '2024-10-22'],
  ['claude-3-5-haiku-20241022', 'Claude Haiku 3.5', 8_192, '2024-10-22'],
  ['claude-3-haiku-20240307', 'Claude Haiku 3', 4_096, '2024-03-07'],
];

export interface ModelCatalog {
  /** The model, or undefined when the sim does not serve it. */
  find(id: string): ModelSpec | undefined;
  /** Newest first, as `GET /v1/models` lists them. */
  list(): readonly ModelSpec[];
}

export function createModelCatalog(extraIds: readonly string[] = []): ModelCatalog {
  const byId = new Map<string, ModelSpec>();
  for (const [id, displayName, maxOutputTokens, date] of TABLE) {
    byId.set(id, {
      id,
      displayName,
      maxOutputTokens,
      maxInputTokens: DEFAULT_CONTEXT_TOKENS,
      createdAt: `${date}T00:00:00Z`,
    });
  }
  for (const id of extraIds) {
    if (!byId.has(id)) {
      byId.set(id, {
        id,
        displayName: id,
        maxOutputTokens: DEFAULT_MAX_OUTPUT_TOKENS,
        maxInputTokens: DEFAULT_CONTEXT_TOKENS,
        createdAt: '2025-01-01T00:00:00Z',
      });
    }
  }
  const sorted = [...byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return { find: (id) => byId.get(id), list: () => sorted };
}
