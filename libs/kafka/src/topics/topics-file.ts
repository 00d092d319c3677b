import { buildTopicCatalog } from './catalog.ts';

/**
 * `docs/topics.json`: the default topic catalog as data, for the contract docs (libs/schemas
 * builds the AsyncAPI document from it without depending on this lib). Regenerate with
 * `npm run docs:topics`; a unit test fails when it is stale.
 */
export function renderTopicsFile(): string {
  const { topics } = buildTopicCatalog();
  return `${JSON.stringify(
    {
      $comment:
        'The topic catalog of libs/kafka (buildTopicCatalog() with default options: prefix pipeline, 6 partitions, 3 aux partitions, replication factor 1). Input of libs/schemas/src/bin/generate-docs.ts. Do not edit by hand: npm run docs:topics.',
      topics: topics.map(
        ({
          name,
          role,
          service,
          stage,
          partitions,
          replicationFactor,
          configs,
          key,
          description,
        }) => ({
          name,
          role,
          ...(service === undefined ? {} : { service }),
          ...(stage === undefined ? {} : { stage }),
          partitions,
          replicationFactor,
          configs,
          key,
          description,
        }),
      ),
    },
    null,
    2,
  )}\n`;
}
