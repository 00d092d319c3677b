import type { Logger } from '@claude-pipeline/telemetry';
import type { Producer } from 'kafkajs';

/**
 * The idempotent producer of a service, replaceable: `renew` (give it to
 * `createBatchingProducer`) connects a new producer from `create`, makes it `current`, and
 * disconnects the broken one in the background; `disconnect` closes whichever is current.
 *
 * Why: kafkajs cannot repair an idempotent producer whose sequence numbers went wrong (after a
 * request the broker accepted in part, or a connection cut mid-request): every later send to
 * those partitions fails with OUT_OF_ORDER_SEQUENCE_NUMBER, which it does not retry. Found by
 * the chaos suite (tools/e2e/test/chaos.int.spec.ts): claude-worker stopped publishing for good
 * after a 15 s network cut between it and the broker.
 */
export interface RenewableProducer {
  readonly current: Producer;
  connect(): Promise<void>;
  renew(broken: Producer): Promise<Producer>;
  disconnect(): Promise<void>;
}

export function renewableProducer(create: () => Producer, logger?: Logger): RenewableProducer {
  let current = create();
  return {
    get current() {
      return current;
    },
    connect: () => current.connect(),
    async renew(broken) {
      const fresh = create();
      await fresh.connect();
      current = fresh;
      logger?.warn('idempotent producer replaced after a produce error it cannot recover from');
      void broken.disconnect().catch(() => undefined);
      return fresh;
    },
    disconnect: () => current.disconnect(),
  };
}
