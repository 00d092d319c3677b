import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { buildAsyncApiDocument } from './asyncapi.ts';
import type { JsonObject } from './json-schema.ts';
import { parse } from './parse.ts';
import { topicsFileSchema, type TopicBinding } from './topics.ts';

const topicsPath = resolve(__dirname, '../../../docs/topics.json');
const topics = parse(topicsFileSchema, JSON.parse(readFileSync(topicsPath, 'utf8'))).topics;

/** The value at a path of plain objects, or undefined. */
const at = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], value);
const keysAt = (value: unknown, ...path: string[]): string[] =>
  Object.keys((at(value, ...path) as object | undefined) ?? {});

interface Finding {
  severity: number;
  code: string | number;
  message: string;
  path: string;
}

// Severity as Spectral numbers it: 0 error, 1 warning, 2 information, 3 hint.
async function diagnostics(document: JsonObject): Promise<Finding[]> {
  const found = await new Parser().validate(document as never);
  return found.map((d) => ({
    severity: d.severity,
    code: d.code,
    message: d.message,
    path: d.path.join('.'),
  }));
}

describe('AsyncAPI document', () => {
  const document = buildAsyncApiDocument(topics);

  it('is valid AsyncAPI 3.0 for @asyncapi/parser: no errors, no warnings', async () => {
    const problems = (await diagnostics(document)).filter((d) => d.severity <= 1);
    expect(problems).toEqual([]);
  }, 30_000);

  it('the parser does report a broken document (the check above is real)', async () => {
    const broken = structuredClone(document);
    (at(broken, 'channels', 'results', 'bindings', 'kafka') as JsonObject).partitions = 0;
    const errors = (await diagnostics(broken)).filter((d) => d.severity === 0);
    expect(errors.map((e) => e.message)).toContain('"partitions" property must be >= 1');
  }, 30_000);

  it('has one channel per topic, addressed by topic name, with its Kafka binding', () => {
    const channels = Object.values(at(document, 'channels') as Record<string, unknown>);
    expect(channels).toHaveLength(topics.length);
    for (const topic of topics) {
      const channel = channels.find((c) => at(c, 'address') === topic.name);
      expect(at(channel, 'bindings', 'kafka')).toMatchObject({
        topic: topic.name,
        partitions: topic.partitions,
        replicas: topic.replicationFactor,
        bindingVersion: '0.5.0',
      });
      expect(at(channel, 'bindings', 'kafka', 'topicConfiguration', 'cleanup.policy')).toEqual(
        topic.configs['cleanup.policy']?.split(','),
      );
      expect(keysAt(channel, 'messages').length).toBeGreaterThan(0);
    }
  });

  it('describes retention, compaction and message size as Kafka configures them', () => {
    const config = (id: string) =>
      at(document, 'channels', id, 'bindings', 'kafka', 'topicConfiguration');
    expect(config('results')).toMatchObject({
      'cleanup.policy': ['delete'],
      'retention.ms': 30 * 24 * 60 * 60 * 1000, // 30 days
    });
    expect(config('status')).toMatchObject({ 'cleanup.policy': ['compact', 'delete'] });
    expect(config('batches')).toMatchObject({ 'max.message.bytes': 16 * 1024 * 1024 });
  });

  it('gives messages CloudEvents binary-mode headers, trace context, correlation id and key', () => {
    const result = at(document, 'components', 'messages', 'ResultRecord');
    expect(keysAt(result, 'headers', 'properties')).toEqual(
      expect.arrayContaining([
        'ce_specversion',
        'ce_id',
        'ce_source',
        'ce_type',
        'ce_time',
        'content-type',
        'traceparent',
        'tracestate',
        'correlation-id',
      ]),
    );
    expect(at(result, 'headers', 'properties', 'ce_type', 'const')).toBe(
      'claude-pipeline.job.result.v1',
    );
    expect(at(result, 'payload')).toEqual({ $ref: '#/components/schemas/ResultRecord' });
    expect(at(result, 'bindings', 'kafka', 'key')).toEqual({
      type: 'string',
      description: 'job id',
    });
    expect(at(result, 'correlationId', 'location')).toBe('$message.header#/correlation-id');
    expect(at(document, 'components', 'messages', 'JobRecordRetry', 'headers', 'required')).toEqual(
      expect.arrayContaining(['pipeline-retry-attempt', 'pipeline-retry-not-before']),
    );
    expect(
      at(document, 'components', 'messages', 'ResultRecordDeadLetter', 'headers', 'required'),
    ).toEqual(expect.arrayContaining(['pipeline-error-class', 'pipeline-error-retriable']));
  });

  it('lets compacted topics carry tombstones', () => {
    expect(keysAt(document, 'channels', 'batches', 'messages')).toEqual([
      'BatchesRecord',
      'Tombstone',
    ]);
    expect(keysAt(document, 'channels', 'dedupe-changelog', 'messages')).toEqual([
      'DedupeEntry',
      'Tombstone',
    ]);
    expect(keysAt(document, 'channels', 'results', 'messages')).toEqual(['ResultRecord']);
  });

  it('names who sends and receives each topic, on existing channels', () => {
    const operations = at(document, 'operations') as Record<string, unknown>;
    expect(operations['claude-worker-send-results']).toMatchObject({
      action: 'send',
      channel: { $ref: '#/channels/results' },
    });
    expect(operations['notifier-receive-results']).toMatchObject({ action: 'receive' });
    expect(operations['cli-receive-notifier-dlq']).toMatchObject({ action: 'receive' });
    for (const operation of Object.values(operations)) {
      const channelId = String(at(operation, 'channel', '$ref')).replace('#/channels/', '');
      expect(at(document, 'channels', channelId)).toBeDefined();
    }
  });

  it('follows the catalog it is given (prefix, partitions)', () => {
    const custom: TopicBinding[] = [
      {
        name: 'staging.jobs',
        role: 'jobs',
        partitions: 24,
        replicationFactor: 3,
        configs: { 'cleanup.policy': 'delete' },
        key: 'job id',
        description: 'Jobs.',
      },
    ];
    const doc = buildAsyncApiDocument(custom, { version: '1.2.0' });
    expect(at(doc, 'channels', 'jobs')).toMatchObject({
      address: 'staging.jobs',
      bindings: { kafka: { partitions: 24, replicas: 3 } },
    });
    expect(at(doc, 'info', 'version')).toBe('1.2.0');
  });

  it('refuses two topics on one channel', () => {
    const topic = topics.find((t) => t.role === 'jobs')!;
    expect(() => buildAsyncApiDocument([topic, { ...topic, name: 'other.jobs' }])).toThrow(
      /two topics map to channel jobs/,
    );
  });
});
