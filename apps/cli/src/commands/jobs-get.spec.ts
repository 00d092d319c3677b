import { jobStatus } from '../../test/support/job-status.ts';
import { exitCodeForState, renderStatus, watchDone } from './jobs-get.command.ts';

describe('following a job', () => {
  it('stops at the result by default, at the delivery with --until delivered', () => {
    expect(watchDone('processing', 'result')).toBe(false);
    expect(watchDone('succeeded', 'result')).toBe(true);
    expect(watchDone('failed', 'result')).toBe(true);
    expect(watchDone('succeeded', 'delivered')).toBe(false);
    expect(watchDone('delivering', 'delivered')).toBe(false);
    expect(watchDone('delivered', 'delivered')).toBe(true);
    // A job already past its result is done whatever was asked.
    expect(watchDone('undeliverable', 'result')).toBe(true);
  });

  it('only a success exits 0', () => {
    expect(exitCodeForState('succeeded')).toBe(0);
    expect(exitCodeForState('delivered')).toBe(0);
    expect(exitCodeForState('failed')).toBe(1);
    expect(exitCodeForState('undeliverable')).toBe(1);
  });

  it('a failed job shows its error class, message and whether a redrive could help', () => {
    const text = renderStatus(
      jobStatus('job-1', 'failed', { generation: 2, batch_id: 'msgbatch_1' }),
    );
    expect(text).toMatch(/state\s+failed {2}\(generation 2, realtime/);
    expect(text).toMatch(/batch\s+msgbatch_1/);
    expect(text).toMatch(/result\s+failed · \w+/);
    expect(text).toMatch(/retriable|not retriable/);
  });
});
