import type { Consumer } from 'kafkajs';
import { pausePartitions, resumePartitions } from './pause-resume.ts';

describe('pausePartitions / resumePartitions', () => {
  const tps = [{ topic: 't', partitions: [0] }];

  it('pass the call on and report it applied', () => {
    const calls: string[] = [];
    const consumer = {
      pause: () => calls.push('pause'),
      resume: () => calls.push('resume'),
    } as unknown as Consumer;
    expect(pausePartitions(consumer, tps)).toBe(true);
    expect(resumePartitions(consumer, tps)).toBe(true);
    expect(calls).toEqual(['pause', 'resume']);
  });

  it('do not throw while kafkajs restarts the consumer (no consumer group)', () => {
    const restarting = () => {
      throw new Error('Consumer group was not initialized, consumer#run must be called first');
    };
    const consumer = { pause: restarting, resume: restarting } as unknown as Consumer;
    expect(pausePartitions(consumer, tps)).toBe(false);
    expect(resumePartitions(consumer, tps)).toBe(false);
  });
});
