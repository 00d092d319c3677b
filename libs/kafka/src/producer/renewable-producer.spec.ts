import type { Producer } from 'kafkajs';
import { renewableProducer } from './renewable-producer.ts';

function fakeProducer(log: string[], name: string): Producer {
  return {
    connect: async () => {
      log.push(`connect ${name}`);
    },
    disconnect: async () => {
      log.push(`disconnect ${name}`);
    },
  } as unknown as Producer;
}

describe('renewableProducer', () => {
  it('replaces the broken producer with a connected new one and closes the current one last', async () => {
    const log: string[] = [];
    let n = 0;
    const renewable = renewableProducer(() => fakeProducer(log, `p${++n}`));
    const first = renewable.current;
    await renewable.connect();
    const fresh = await renewable.renew(first);
    expect(fresh).toBe(renewable.current);
    expect(fresh).not.toBe(first);
    await new Promise((resolve) => setImmediate(resolve));
    await renewable.disconnect();
    expect(log).toEqual(['connect p1', 'connect p2', 'disconnect p1', 'disconnect p2']);
  });

  it('keeps the old producer when the new one cannot connect', async () => {
    const log: string[] = [];
    let n = 0;
    const renewable = renewableProducer(() => {
      n += 1;
      const p = fakeProducer(log, `p${n}`);
      if (n === 2) p.connect = () => Promise.reject(new Error('broker down'));
      return p;
    });
    const first = renewable.current;
    await expect(renewable.renew(first)).rejects.toThrow('broker down');
    expect(renewable.current).toBe(first);
  });
});
