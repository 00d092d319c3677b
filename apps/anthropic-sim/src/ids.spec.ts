import { newId, newRequestId, stableId } from './ids.ts';

describe('ids', () => {
  it('look like the API’s', () => {
    expect(newId('msg')).toMatch(/^msg_01[1-9A-HJ-NP-Za-km-z]{22}$/);
    expect(newId('msgbatch')).toMatch(/^msgbatch_01[1-9A-HJ-NP-Za-km-z]{22}$/);
    expect(newRequestId()).toMatch(/^req_011C[1-9A-HJ-NP-Za-km-z]{20}$/);
  });

  it('random ids differ (also across refills of the random pool); stable ids repeat', () => {
    const ids = new Set(Array.from({ length: 1_000 }, () => newId('msg')));
    expect(ids.size).toBe(1_000);
    const digest = new Uint8Array(32).fill(7);
    expect(stableId('toolu', digest)).toBe(stableId('toolu', digest));
  });
});
