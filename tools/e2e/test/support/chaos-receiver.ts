/**
 * The customer's endpoint of the chaos run: verifies and records every signed callback (by
 * `webhook-id`), and can be taken down (the port closed, so the notifier meets connection
 * refused) and brought back on the same port.
 */
import {
  startCallbackSink,
  type CallbackSink,
  type Delivery,
  type Rejection,
} from '@claude-pipeline/testing';

export interface ChaosReceiver {
  url: string;
  /** Every verified delivery of every incarnation, in arrival order. */
  deliveries(): Delivery[];
  rejections(): Rejection[];
  isUp(): boolean;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startChaosReceiver(secrets: string[]): Promise<ChaosReceiver> {
  const first = await startCallbackSink({ secrets });
  const port = Number(new URL(first.url).port);
  const past: CallbackSink[] = [];
  let current: CallbackSink | undefined = first;
  return {
    url: first.url,
    deliveries: () => [...past, ...(current ? [current] : [])].flatMap((s) => s.deliveries),
    rejections: () => [...past, ...(current ? [current] : [])].flatMap((s) => s.rejections),
    isUp: () => current !== undefined,
    async down() {
      if (!current) return;
      const sink = current;
      current = undefined;
      past.push(sink);
      await sink.close();
    },
    async up() {
      if (current) return;
      current = await startCallbackSink({ secrets, port });
    },
    async close() {
      await current?.close();
      if (current) past.push(current);
      current = undefined;
    },
  };
}
