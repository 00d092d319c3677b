import { buildTopicCatalog, RETRY_STAGES } from './catalog.ts';
import { topicNames } from './names.ts';

describe('topic names', () => {
  it('derives every name from one prefix', () => {
    const names = topicNames('acme');
    expect(names.events).toBe('acme.events');
    expect(names.dedupeChangelog).toBe('acme.dedupe.changelog');
    expect(names.retry('notifier', 3)).toBe('acme.notifier.retry.3');
    expect(names.dlq('claude-worker')).toBe('acme.claude-worker.dlq');
  });

  it('rejects a prefix Kafka would not accept', () => {
    expect(() => topicNames('bad prefix')).toThrow(/invalid topic prefix/);
    expect(() => topicNames('')).toThrow(/invalid topic prefix/);
  });

  it('rejects a retry stage below 1', () => {
    expect(() => topicNames().retry('notifier', 0)).toThrow(/stage/);
  });
});

describe('topic catalog', () => {
  const catalog = buildTopicCatalog();

  it('holds every topic of the architecture once', () => {
    const names = catalog.topics.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(
      expect.arrayContaining([
        'pipeline.events',
        'pipeline.dedupe.changelog',
        'pipeline.jobs',
        'pipeline.results',
        'pipeline.status',
        'pipeline.stream',
        'pipeline.batches',
        'pipeline.batches.control',
        'pipeline.dedupe.dlq',
        'pipeline.claude-worker.retry.1',
        'pipeline.claude-worker.dlq',
        'pipeline.batch-poller.dlq',
        'pipeline.notifier.retry.7',
        'pipeline.notifier.dlq',
      ]),
    );
    const retries = catalog.topics.filter((t) => t.role === 'retry').length;
    expect(retries).toBe(Object.values(RETRY_STAGES).reduce((a, b) => a + b, 0));
  });

  it('co-partitions the dedupe changelog with the events topic', () => {
    const custom = buildTopicCatalog({ partitions: 12 });
    expect(custom.get('pipeline.dedupe.changelog')?.partitions).toBe(12);
    expect(custom.get('pipeline.events')?.partitions).toBe(12);
  });

  it('sets the cleanup policy and retention of the architecture', () => {
    const policy = (name: string) => catalog.get(name)?.configs;
    expect(policy('pipeline.events')).toMatchObject({
      'cleanup.policy': 'delete',
      'retention.ms': '604800000',
    });
    expect(policy('pipeline.results')).toMatchObject({ 'retention.ms': '2592000000' });
    expect(policy('pipeline.status')).toMatchObject({ 'cleanup.policy': 'compact,delete' });
    expect(policy('pipeline.stream')).toMatchObject({ 'retention.ms': '3600000' });
    expect(policy('pipeline.batches')).toMatchObject({ 'cleanup.policy': 'compact' });
    expect(policy('pipeline.dedupe.changelog')).toMatchObject({ 'cleanup.policy': 'compact' });
  });

  it('refuses impossible settings', () => {
    expect(() => buildTopicCatalog({ partitions: 0 })).toThrow(/partitions/);
    expect(() => buildTopicCatalog({ replicationFactor: 1, minInsyncReplicas: 2 })).toThrow(
      /exceeds/,
    );
  });
});
