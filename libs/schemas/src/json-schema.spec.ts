import { CONTRACT_LIST, contractByName, contracts } from './contracts.ts';
import { toJsonSchema } from './json-schema.ts';

describe('JSON Schema export', () => {
  it('exports every contract with an id, a title and the 2020-12 dialect', () => {
    for (const contract of CONTRACT_LIST) {
      const schema = toJsonSchema(contract);
      expect(schema).toMatchObject({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: `urn:claude-pipeline:schema:${contract.name}:v${contract.version}`,
        title: contract.title,
      });
      expect(JSON.stringify(schema)).not.toContain('"$ref"');
    }
  });

  it('lets readers of records tolerate new fields, but keeps request bodies strict', () => {
    const job = toJsonSchema(contracts.jobRecord);
    expect(job).not.toHaveProperty('additionalProperties');
    expect(toJsonSchema(contracts.jobSubmission)).toHaveProperty('additionalProperties', false);
  });

  it('keeps the declared bounds', () => {
    const job = toJsonSchema(contracts.jobRecord) as {
      properties: Record<string, Record<string, unknown>>;
    };
    expect(job.properties.job_id).toMatchObject({
      type: 'string',
      pattern: '^[a-zA-Z0-9_-]{1,64}$',
    });
    expect(job.properties.metadata).toMatchObject({ maxProperties: 16 });
    expect(job.properties.schema_version).toMatchObject({ const: 1 });
  });

  it('can emit draft-07 for AsyncAPI, without $schema and $id', () => {
    const schema = toJsonSchema(contracts.resultRecord, { target: 'draft-7', standalone: false });
    expect(schema).not.toHaveProperty('$schema');
    expect(schema).not.toHaveProperty('$id');
    expect(schema).toHaveProperty('oneOf');
  });

  it('finds contracts by name', () => {
    expect(contractByName('result-record')).toBe(contracts.resultRecord);
    expect(contractByName('nope')).toBeUndefined();
  });

  it('gives each Kafka contract a versioned CloudEvents type', () => {
    const kafka = CONTRACT_LIST.filter((c) => c.transport === 'kafka');
    expect(kafka.map((c) => c.ceType)).toEqual([
      'claude-pipeline.event.accepted.v1',
      'claude-pipeline.dedupe.first-seen.v1',
      'claude-pipeline.job.requested.v1',
      'claude-pipeline.job.result.v1',
      'claude-pipeline.job.status.v1',
      'claude-pipeline.job.stream.v1',
      'claude-pipeline.batch.record.v1',
      'claude-pipeline.batch.poll.v1',
    ]);
  });
});
