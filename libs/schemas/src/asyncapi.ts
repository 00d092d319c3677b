import { z } from 'zod';
import { contracts, type Contract } from './contracts.ts';
import {
  cloudEventHeadersSchema,
  dlqHeadersSchema,
  HEADERS,
  JSON_CONTENT_TYPE,
  retryHeadersSchema,
} from './headers.ts';
import { toJsonSchema, type JsonObject, type JsonValue } from './json-schema.ts';
import type { ConsumingService, TopicBinding, TopicRole } from './topics.ts';

/**
 * The AsyncAPI 3.0 document of every topic: channels (address, Kafka bindings), messages
 * (payload, CloudEvents headers, key), and who sends and receives what. Payloads are the
 * contracts' JSON Schemas (draft-07, the dialect AsyncAPI Schema extends), all inline in
 * `components`, so the document resolves without network access.
 */

export const ASYNCAPI_VERSION = '3.0.0';
/** Version of the document: the contracts' major, then minor for additive changes. */
export const ASYNCAPI_DOCUMENT_VERSION = '1.0.0';
const KAFKA_BINDING_VERSION = '0.5.0';

type Service = ConsumingService | 'ingest' | 'cli';
type SourceRole = Exclude<TopicRole, 'retry' | 'dlq'>;

interface RoleSpec {
  readonly contracts: readonly Contract[];
  /** Compacted topics delete a key with a null value. */
  readonly tombstones: boolean;
  readonly producers: readonly Service[];
  readonly consumers: readonly Service[];
}

/** Who writes and reads each topic: ARCHITECTURE.md, "Services" and "Topics". */
const ROLES: Readonly<Record<SourceRole, RoleSpec>> = {
  events: {
    contracts: [contracts.eventRecord],
    tombstones: false,
    producers: ['ingest'],
    consumers: ['dedupe'],
  },
  'dedupe-changelog': {
    contracts: [contracts.dedupeEntry],
    tombstones: true,
    producers: ['dedupe'],
    consumers: ['dedupe'],
  },
  jobs: {
    contracts: [contracts.jobRecord],
    tombstones: false,
    producers: ['dedupe'],
    consumers: ['claude-worker', 'batch-poller'],
  },
  results: {
    contracts: [contracts.resultRecord],
    tombstones: false,
    producers: ['claude-worker', 'batch-poller'],
    consumers: ['notifier'],
  },
  status: {
    contracts: [contracts.statusRecord],
    tombstones: false,
    producers: ['dedupe', 'claude-worker', 'batch-poller', 'notifier'],
    consumers: ['ingest'],
  },
  stream: {
    contracts: [contracts.streamRecord],
    tombstones: false,
    producers: ['claude-worker'],
    consumers: ['ingest'],
  },
  batches: {
    contracts: [contracts.batchesRecord],
    tombstones: true,
    producers: ['batch-poller'],
    consumers: ['batch-poller'],
  },
  'batches-control': {
    contracts: [contracts.batchControl],
    tombstones: false,
    producers: ['ingest'],
    consumers: ['batch-poller'],
  },
};

/** Topics each service consumes, hence what its retry and DLQ topics carry. */
const SOURCES: Readonly<Record<ConsumingService, readonly SourceRole[]>> = {
  dedupe: ['events'],
  'claude-worker': ['jobs'],
  'batch-poller': ['jobs', 'batches', 'batches-control'],
  notifier: ['results'],
};

const ref = ($ref: string): JsonObject => ({ $ref });

function channelId(topic: TopicBinding): string {
  if (topic.role === 'retry') return `${topic.service}-retry-${topic.stage}`;
  if (topic.role === 'dlq') return `${topic.service}-dlq`;
  return topic.role;
}

function objectSchemaOf(schema: z.ZodType): JsonObject {
  const { $schema: _ignored, ...body } = JSON.parse(
    JSON.stringify(z.toJSONSchema(schema, { target: 'draft-7', io: 'input' })),
  ) as JsonObject;
  return body;
}

/** Merge header object schemas (each `type: object` with properties and required). */
function mergeHeaders(...schemas: JsonObject[]): JsonObject {
  const properties: JsonObject = {};
  const required: string[] = [];
  for (const schema of schemas) {
    Object.assign(properties, schema.properties as JsonObject);
    required.push(...((schema.required as string[] | undefined) ?? []));
  }
  return { type: 'object', properties, required };
}

/** `cleanup.policy` becomes a list and integer configs integers, as the Kafka binding wants. */
function topicConfiguration(configs: Readonly<Record<string, string>>): JsonObject {
  const out: JsonObject = {};
  for (const [name, value] of Object.entries(configs).sort(([a], [b]) => a.localeCompare(b))) {
    if (name === 'cleanup.policy') out[name] = value.split(',').map((policy) => policy.trim());
    else out[name] = /^-?[0-9]+$/.test(value) ? Number(value) : value;
  }
  return out;
}

export interface AsyncApiOptions {
  /** Document version; default {@link ASYNCAPI_DOCUMENT_VERSION}. */
  readonly version?: string;
  /** Broker of the `local` server; default `localhost:9092`. */
  readonly localBroker?: string;
}

/** Build the AsyncAPI document for a topic catalog (see {@link TopicBinding}). */
export function buildAsyncApiDocument(
  topics: readonly TopicBinding[],
  options: AsyncApiOptions = {},
): JsonObject {
  const schemas: JsonObject = {};
  const messages: JsonObject = {};
  const channels: JsonObject = {};
  const operations: JsonObject = {};
  const keyOf = (role: SourceRole): string =>
    topics.find((topic) => topic.role === role)?.key ?? 'see the topic';

  const addMessage = (
    id: string,
    contract: Contract,
    key: string,
    extraHeaders: JsonObject | undefined,
    description: string,
  ): void => {
    if (contract.ceType === undefined) throw new Error(`${contract.name} is not a Kafka contract`);
    schemas[contract.title] ??= toJsonSchema(contract, { target: 'draft-7', standalone: false });
    const ceHeaders = objectSchemaOf(cloudEventHeadersSchema(contract.ceType));
    messages[id] = {
      name: id,
      title: contract.title,
      summary: `${contract.name} v${contract.version} (ce_type ${contract.ceType})`,
      description,
      contentType: JSON_CONTENT_TYPE,
      headers: extraHeaders === undefined ? ceHeaders : mergeHeaders(ceHeaders, extraHeaders),
      payload: ref(`#/components/schemas/${contract.title}`),
      correlationId: {
        description: 'Correlation id of the job, kept across retries, batches and redrives.',
        location: `$message.header#/${HEADERS.correlationId}`,
      },
      bindings: {
        kafka: { key: { type: 'string', description: key }, bindingVersion: KAFKA_BINDING_VERSION },
      },
    };
  };

  const channelMessages = (topic: TopicBinding): Record<string, string> => {
    const out: Record<string, string> = {};
    if (topic.role === 'retry' || topic.role === 'dlq') {
      const suffix = topic.role === 'retry' ? 'Retry' : 'DeadLetter';
      const extra = objectSchemaOf(topic.role === 'retry' ? retryHeadersSchema : dlqHeadersSchema);
      for (const role of SOURCES[topic.service as ConsumingService]) {
        for (const contract of ROLES[role].contracts) {
          const id = `${contract.title}${suffix}`;
          const description =
            topic.role === 'retry'
              ? `A ${contract.title} from ${role} on its way to a retry, original bytes and headers plus retry headers.`
              : `A ${contract.title} from ${role} that could not be processed: original key, value and headers ` +
                'byte for byte (the value may not match the schema, which may be why it is here), plus error headers.';
          if (messages[id] === undefined)
            addMessage(id, contract, `As on the source topic: ${keyOf(role)}.`, extra, description);
          out[id] = id;
        }
      }
      return out;
    }
    const spec = ROLES[topic.role];
    for (const contract of spec.contracts) {
      if (messages[contract.title] === undefined) {
        addMessage(
          contract.title,
          contract,
          topic.key,
          undefined,
          contract.schema.description ?? contract.title,
        );
      }
      out[contract.title] = contract.title;
    }
    if (spec.tombstones) {
      messages.Tombstone ??= {
        name: 'Tombstone',
        title: 'Tombstone',
        summary: 'No value: deletes the key from a compacted topic.',
        payload: { type: 'null', description: 'The record has a null value.' },
      };
      out.Tombstone = 'Tombstone';
    }
    return out;
  };

  const parties = (
    topic: TopicBinding,
  ): { producers: readonly Service[]; consumers: readonly Service[] } => {
    if (topic.role === 'retry')
      return { producers: [topic.service as Service], consumers: [topic.service as Service] };
    if (topic.role === 'dlq') return { producers: [topic.service as Service], consumers: ['cli'] };
    return ROLES[topic.role];
  };

  for (const topic of topics) {
    const id = channelId(topic);
    if (channels[id] !== undefined) throw new Error(`two topics map to channel ${id}`);
    const byId = channelMessages(topic);
    const isPublic =
      topic.role !== 'retry' &&
      topic.role !== 'dlq' &&
      ROLES[topic.role].contracts.some((c) => c.public);
    channels[id] = {
      address: topic.name,
      title: topic.name,
      description: `${topic.description} Key: ${topic.key}.`,
      messages: Object.fromEntries(
        Object.entries(byId).map(([key, messageId]) => [
          key,
          ref(`#/components/messages/${messageId}`),
        ]),
      ),
      tags: [{ name: isPublic ? 'public' : 'internal' }],
      bindings: {
        kafka: {
          topic: topic.name,
          partitions: topic.partitions,
          replicas: topic.replicationFactor,
          topicConfiguration: topicConfiguration(topic.configs),
          bindingVersion: KAFKA_BINDING_VERSION,
        },
      },
    };
    const channelMessageRefs: JsonValue[] = Object.keys(byId).map((key) =>
      ref(`#/channels/${id}/messages/${key}`),
    );
    const { producers, consumers } = parties(topic);
    for (const [action, services] of [
      ['send', producers],
      ['receive', consumers],
    ] as const) {
      for (const service of services) {
        operations[`${service}-${action}-${id}`] = {
          action,
          channel: ref(`#/channels/${id}`),
          summary: `${service} ${action === 'send' ? 'produces to' : 'consumes'} ${topic.name}.`,
          messages: channelMessageRefs,
        };
      }
    }
  }

  return {
    asyncapi: ASYNCAPI_VERSION,
    info: {
      title: 'claude-pipeline',
      version: options.version ?? ASYNCAPI_DOCUMENT_VERSION,
      description:
        'Kafka topics of claude-pipeline, which turns events into Claude API work and answers ' +
        'into results. Values are UTF-8 JSON; headers follow the CloudEvents Kafka binding in ' +
        'binary mode, with W3C trace context and a correlation id. Every record value carries ' +
        '`schema_version` (its major version, also the `.v<n>` suffix of `ce_type`); readers ' +
        'must ignore fields they do not know. Topics tagged `public` are consumed by other teams.',
      license: { name: 'Apache-2.0' },
    },
    defaultContentType: JSON_CONTENT_TYPE,
    servers: {
      local: {
        host: options.localBroker ?? 'localhost:9092',
        protocol: 'kafka',
        description: 'The local single-broker cluster (`npm run kafka:start`).',
      },
    },
    channels,
    operations,
    components: { schemas, messages },
  };
}
