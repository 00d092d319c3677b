import { encode, contracts, type StreamRecord } from '@claude-pipeline/schemas';
import { blockStart, delta, JOB, TENANT } from '../../test/stream-fixtures.ts';
import { createStreamHub } from './stream-hub.ts';

const send = (hub: ReturnType<typeof createStreamHub>, record: StreamRecord, key = JOB) =>
  hub.deliver(Buffer.from(key), Buffer.from(encode(contracts.streamRecord, record)));

describe('stream hub', () => {
  it('replays once per job and shares the stream between its clients', async () => {
    const replays: string[] = [];
    const hub = createStreamHub({ replay: async (jobId) => void replays.push(jobId) });
    const a = hub.subscribe(JOB, TENANT, undefined, () => undefined);
    const b = hub.subscribe(JOB, TENANT, undefined, () => undefined);
    await a?.replayed;
    expect(replays).toEqual([JOB]);
    expect(a?.stream).toBe(b?.stream);
    expect(hub.jobs).toBe(1);
    expect(hub.clients).toBe(2);
  });

  it('notifies clients when the stream shows more, not for duplicates', () => {
    const hub = createStreamHub({ replay: async () => undefined });
    let calls = 0;
    hub.subscribe(JOB, TENANT, undefined, () => (calls += 1));
    send(hub, blockStart(0));
    send(hub, blockStart(0));
    send(hub, delta(1, 'a'));
    expect(calls).toBe(2);
  });

  it('holds only watched jobs and drops a job with its last client', () => {
    const hub = createStreamHub({ replay: async () => undefined });
    send(hub, blockStart(0));
    const first = hub.subscribe(JOB, TENANT, undefined, () => undefined);
    expect(first?.stream.records).toEqual([]); // nothing kept from before the subscription
    const second = hub.subscribe(JOB, TENANT, undefined, () => undefined);
    first?.close();
    first?.close();
    expect(hub.jobs).toBe(1);
    second?.close();
    expect(hub.jobs).toBe(0);
    expect(hub.clients).toBe(0);
  });

  it('skips invalid values and reports them', () => {
    const invalid: string[] = [];
    const hub = createStreamHub({
      replay: async () => undefined,
      onInvalid: (j) => invalid.push(j),
    });
    const sub = hub.subscribe(JOB, TENANT, undefined, () => undefined);
    hub.deliver(Buffer.from(JOB), Buffer.from('{"not":"a record"}'));
    hub.deliver(Buffer.from(JOB), null);
    expect(invalid).toEqual([JOB]);
    expect(sub?.stream.current).toBeUndefined();
  });

  it('refuses a second tenant on a job it serves', () => {
    const hub = createStreamHub({ replay: async () => undefined });
    hub.subscribe(JOB, TENANT, undefined, () => undefined);
    expect(hub.subscribe(JOB, 'globex', undefined, () => undefined)).toBeUndefined();
  });

  it('passes a failed replay to its clients without an unhandled rejection', async () => {
    const hub = createStreamHub({ replay: async () => Promise.reject(new Error('gone')) });
    const sub = hub.subscribe(JOB, TENANT, 1_000, () => undefined);
    await expect(sub?.replayed).rejects.toThrow('gone');
  });
});
