import { buildAsyncApiDocument, type AsyncApiOptions } from './asyncapi.ts';
import { CONTRACT_LIST, type Contract } from './contracts.ts';
import { toJsonSchema, type JsonValue } from './json-schema.ts';
import type { TopicBinding } from './topics.ts';

/**
 * The generated documentation as file contents, so the generator writes them and a test checks
 * the committed ones are current without touching the disk twice.
 */

/** Stable JSON: two-space indent and a final newline (the files are excluded from prettier). */
export const renderJson = (value: JsonValue): string => `${JSON.stringify(value, null, 2)}\n`;

export const schemaFileName = (contract: Pick<Contract, 'name' | 'version'>): string =>
  `${contract.name}.v${contract.version}.json`;

/** Paths relative to `docs/generated/`, mapped to their content. */
export function renderGeneratedDocs(
  topics: readonly TopicBinding[],
  options: AsyncApiOptions = {},
): Map<string, string> {
  const files = new Map<string, string>();
  files.set('asyncapi.json', renderJson(buildAsyncApiDocument(topics, options)));
  for (const contract of CONTRACT_LIST) {
    files.set(`schemas/${schemaFileName(contract)}`, renderJson(toJsonSchema(contract)));
  }
  return files;
}
