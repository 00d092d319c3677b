import {
  carriesResult,
  isTerminal,
  JOB_STATES,
  MAX_STATUS_ATTEMPTS,
  mergeStatus,
  stateRank,
  statusRecordSchema,
  supersedes,
  type Attempt,
  type JobState,
} from './status.ts';
import { sampleStatusRecord, sampleTerminalStatus } from './testing.ts';

describe('state ranking', () => {
  it('ranks states as the architecture orders them', () => {
    const ranks = Object.fromEntries(JOB_STATES.map((s) => [s, stateRank(s)]));
    expect(ranks).toEqual({
      accepted: 0,
      queued: 1,
      batched: 1,
      processing: 2,
      succeeded: 3,
      failed: 3,
      delivering: 4,
      delivered: 5,
      undeliverable: 5,
    });
  });

  it('states carry a result from succeeded/failed on', () => {
    expect(JOB_STATES.filter(carriesResult)).toEqual([
      'succeeded',
      'failed',
      'delivering',
      'delivered',
      'undeliverable',
    ]);
  });

  it('a job without callback ends at succeeded/failed, one with a callback at delivered/undeliverable', () => {
    expect(JOB_STATES.filter((s) => isTerminal(s, { hasCallback: false }))).toEqual([
      'succeeded',
      'failed',
    ]);
    expect(JOB_STATES.filter((s) => isTerminal(s, { hasCallback: true }))).toEqual([
      'delivered',
      'undeliverable',
    ]);
  });
});

describe('supersedes', () => {
  const at = (generation: number, state: JobState) => ({ generation, state });

  it('a higher rank in the same generation supersedes', () => {
    expect(supersedes(at(1, 'processing'), at(1, 'queued'))).toBe(true);
    expect(supersedes(at(1, 'delivered'), at(1, 'succeeded'))).toBe(true);
    expect(supersedes(at(1, 'queued'), at(1, 'processing'))).toBe(false);
  });

  it('a late attempt record never overwrites a terminal state', () => {
    expect(supersedes(at(1, 'processing'), at(1, 'failed'))).toBe(false);
    expect(supersedes(at(1, 'delivering'), at(1, 'undeliverable'))).toBe(false);
  });

  it('equal rank keeps what the view has', () => {
    expect(supersedes(at(1, 'succeeded'), at(1, 'failed'))).toBe(false);
    expect(supersedes(at(1, 'failed'), at(1, 'succeeded'))).toBe(false);
    expect(supersedes(at(1, 'batched'), at(1, 'queued'))).toBe(false);
    expect(supersedes(at(1, 'queued'), at(1, 'queued'))).toBe(false);
  });

  it('a higher generation supersedes whatever the rank (redrive)', () => {
    expect(supersedes(at(2, 'queued'), at(1, 'failed'))).toBe(true);
    expect(supersedes(at(2, 'accepted'), at(1, 'undeliverable'))).toBe(true);
    expect(supersedes(at(1, 'delivered'), at(2, 'queued'))).toBe(false);
  });

  it('is a strict order: never both ways', () => {
    for (const g1 of [1, 2]) {
      for (const g2 of [1, 2]) {
        for (const s1 of JOB_STATES) {
          for (const s2 of JOB_STATES) {
            expect(supersedes(at(g1, s1), at(g2, s2)) && supersedes(at(g2, s2), at(g1, s1))).toBe(
              false,
            );
          }
        }
      }
    }
  });
});

describe('status record', () => {
  it('accepts non-terminal records without result and terminal ones with it', () => {
    expect(statusRecordSchema.safeParse(sampleStatusRecord()).success).toBe(true);
    for (const state of [
      'succeeded',
      'failed',
      'delivering',
      'delivered',
      'undeliverable',
    ] as const) {
      expect(statusRecordSchema.safeParse(sampleTerminalStatus(state)).success).toBe(true);
    }
  });

  it('requires the result summary from succeeded on', () => {
    const { result: _r, ...bare } = sampleTerminalStatus('delivered');
    expect(statusRecordSchema.safeParse(bare).error?.issues[0]?.message).toBe(
      'state delivered needs a result',
    );
  });

  it('rejects a result before succeeded and a result contradicting the state', () => {
    const early = { ...sampleTerminalStatus('succeeded'), state: 'processing' };
    expect(statusRecordSchema.safeParse(early).error?.issues[0]?.message).toBe(
      'state processing has no result yet',
    );
    const contradiction = { ...sampleTerminalStatus('succeeded'), state: 'failed' };
    expect(statusRecordSchema.safeParse(contradiction).error?.issues[0]?.message).toBe(
      'result status succeeded contradicts state failed',
    );
  });

  it('rejects unknown states and attempt outcomes', () => {
    expect(statusRecordSchema.safeParse({ ...sampleStatusRecord(), state: 'done' }).success).toBe(
      false,
    );
    const attempt = { kind: 'processing', number: 1, at: '2025-01-15T10:00:00Z', outcome: 'maybe' };
    expect(
      statusRecordSchema.safeParse({ ...sampleStatusRecord(), attempts: [attempt] }).success,
    ).toBe(false);
  });
});

describe('mergeStatus', () => {
  const attempt = (
    number: number,
    at: string,
    outcome: Attempt['outcome'] = 'retrying',
  ): Attempt => ({
    kind: 'processing',
    number,
    at,
    outcome,
    ...(outcome === 'retrying' ? { error: { class: 'transient', message: '529 overloaded' } } : {}),
  });

  it('takes the first record as is', () => {
    const first = sampleStatusRecord();
    expect(mergeStatus(undefined, first)).toBe(first);
  });

  it('keeps a terminal state but merges the late attempt into the list', () => {
    const done = sampleTerminalStatus('succeeded', {
      updated_at: '2025-01-15T10:00:05.000Z',
      attempts: [attempt(2, '2025-01-15T10:00:05.000Z', 'succeeded')],
    });
    const late = sampleStatusRecord({
      state: 'processing',
      updated_at: '2025-01-15T10:00:02.000Z',
      attempts: [attempt(1, '2025-01-15T10:00:02.000Z')],
    });
    const merged = mergeStatus(done, late);
    expect(merged.state).toBe('succeeded');
    expect(merged.result).toEqual(done.result);
    expect(merged.attempts.map((a) => a.number)).toEqual([1, 2]);
    expect(merged.updated_at).toBe('2025-01-15T10:00:05.000Z');
    expect(statusRecordSchema.safeParse(merged).success).toBe(true);
  });

  it('orders attempts by instant, not by string', () => {
    const a = attempt(1, '2025-01-15T10:00:00.500Z');
    const b = attempt(2, '2025-01-15T10:00:01Z');
    const merged = mergeStatus(
      sampleStatusRecord({ attempts: [b] }),
      sampleStatusRecord({ attempts: [a] }),
    );
    expect(merged.attempts.map((x) => x.number)).toEqual([1, 2]);
  });

  it('drops repeated attempts and caps the list', () => {
    const many = Array.from({ length: MAX_STATUS_ATTEMPTS }, (_, i) =>
      attempt(i + 1, new Date(Date.UTC(2025, 0, 15, 10, 0, i)).toISOString()),
    );
    const current = sampleStatusRecord({ attempts: many });
    const again = mergeStatus(current, sampleStatusRecord({ attempts: [many[0]!] }));
    expect(again.attempts).toHaveLength(MAX_STATUS_ATTEMPTS);
    const more = mergeStatus(
      current,
      sampleStatusRecord({ attempts: [attempt(MAX_STATUS_ATTEMPTS + 1, '2025-01-15T11:00:00Z')] }),
    );
    expect(more.attempts).toHaveLength(MAX_STATUS_ATTEMPTS);
    expect(more.attempts[0]?.number).toBe(2);
  });

  it('a redrive (higher generation) replaces the record whole; an older generation is ignored', () => {
    const failed = sampleTerminalStatus('failed');
    const redriven = sampleStatusRecord({ generation: 2, state: 'queued' });
    expect(mergeStatus(failed, redriven)).toBe(redriven);
    expect(mergeStatus(redriven, failed)).toBe(redriven);
  });
});
