import type { DedupeEntry, EventRecord } from '@claude-pipeline/schemas';
import { contracts, parse } from '@claude-pipeline/schemas';
import { sampleEventRecord, sampleJobRecord } from '@claude-pipeline/schemas/testing';
import { decideBatch, type InboundRecord } from './dedupe.decider.ts';

const HOUR = 3_600_000;
const NOW = Date.parse('2025-01-15T12:00:00.000Z');

function eventOf(tenant: string, key: string, receivedAt = NOW - HOUR): EventRecord {
  return sampleEventRecord({
    tenant,
    idempotency_key: key,
    received_at: new Date(receivedAt).toISOString(),
    job: sampleJobRecord({ tenant, job_id: `${tenant}_${key}` }),
  });
}

let offset = 0;
const record = (value: unknown): InboundRecord => ({
  offset: String(offset++),
  key: Buffer.from('k'),
  value:
    value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  headers: {},
});

const decide = (records: InboundRecord[], stored: Record<string, DedupeEntry> = {}) =>
  decideBatch(records, { lookup: (key) => stored[key], windowMs: 24 * HOUR, now: NOW });

describe('decideBatch', () => {
  it('accepts a first sighting with an entry that expires a window after it', () => {
    const [verdict] = decide([record(eventOf('acme', 'k1'))]);
    expect(verdict?.kind).toBe('accept');
    if (verdict?.kind !== 'accept') return;
    expect(verdict.key).toBe('acme:k1');
    expect(verdict.entry).toEqual({
      schema_version: 1,
      tenant: 'acme',
      idempotency_key: 'k1',
      job_id: 'acme_k1',
      first_seen_at: new Date(NOW).toISOString(),
      // The window starts when dedupe first saw it (later than received_at here).
      expires_at: new Date(NOW + 24 * HOUR).toISOString(),
    });
    expect(verdict.expiresAt).toBe(NOW + 24 * HOUR);
    expect(parse(contracts.dedupeEntry, verdict.entry)).toEqual(verdict.entry);
  });

  it('drops a repeat within the same batch (read-your-writes)', () => {
    const e = eventOf('acme', 'k1');
    const kinds = decide([record(e), record(e), record(e)]).map((v) => v.kind);
    expect(kinds).toEqual(['accept', 'duplicate', 'duplicate']);
  });

  it('drops a repeat of a stored key and names the first job', () => {
    const stored = decide([record(eventOf('acme', 'k1'))])[0];
    if (stored?.kind !== 'accept') throw new Error('expected accept');
    const [verdict] = decide([record(eventOf('acme', 'k1', NOW))], { 'acme:k1': stored.entry });
    expect(verdict).toMatchObject({ kind: 'duplicate', jobId: 'acme_k1' });
  });

  it('keeps two tenants with the same idempotency key apart', () => {
    const kinds = decide([record(eventOf('acme', 'k1')), record(eventOf('globex', 'k1'))]).map(
      (v) => v.kind,
    );
    expect(kinds).toEqual(['accept', 'accept']);
  });

  it('accepts a repeat received after the stored entry expired, even before its tombstone', () => {
    const expired: DedupeEntry = {
      schema_version: 1,
      tenant: 'acme',
      idempotency_key: 'k1',
      job_id: 'acme_k1',
      first_seen_at: new Date(NOW - 30 * HOUR).toISOString(),
      expires_at: new Date(NOW - 6 * HOUR).toISOString(),
    };
    const [late] = decide([record(eventOf('acme', 'k1', NOW))], { 'acme:k1': expired });
    expect(late?.kind).toBe('accept');
    // A repeat received inside the old window is still a repeat, however late it is processed.
    const [early] = decide([record(eventOf('acme', 'k1', NOW - 7 * HOUR))], { 'acme:k1': expired });
    expect(early?.kind).toBe('duplicate');
  });

  it('calls undecodable and invalid records poison, and goes on', () => {
    const bad = { ...eventOf('acme', 'k2'), tenant: 'globex' }; // job tenant differs
    const verdicts = decide([
      record(null),
      record('{"not json'),
      { ...record(''), value: Buffer.from([0xc3, 0x28]) },
      record(bad),
      record(eventOf('acme', 'k3')),
    ]);
    expect(verdicts.map((v) => v.kind)).toEqual(['poison', 'poison', 'poison', 'poison', 'accept']);
    const reasons = verdicts.map((v) => (v.kind === 'poison' ? v.reason : ''));
    expect(reasons[0]).toMatch(/tombstone/);
    expect(reasons[1]).toMatch(/JSON/);
    expect(reasons[2]).toMatch(/UTF-8/);
    expect(reasons[3]).toMatch(/\/job\/tenant/);
  });

  it('forwards the job as ingest wrote it, fields this version does not know included', () => {
    const e = eventOf('acme', 'k4');
    const job = { ...e.job, added_by_a_newer_ingest: true };
    const [verdict] = decide([record({ ...e, job })]);
    if (verdict?.kind !== 'accept') throw new Error('expected accept');
    expect(verdict.rawJob).toEqual(job);
    expect(verdict.event.job).not.toHaveProperty('added_by_a_newer_ingest');
  });
});
