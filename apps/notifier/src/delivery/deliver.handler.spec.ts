import {
  ClassifiedError,
  RETRY,
  topicNames,
  type ConsumedRecord,
  type RoutedEvent,
} from '@claude-pipeline/kafka';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { contracts, encode, type ResultRecord } from '@claude-pipeline/schemas';
import { sampleSucceededResult } from '@claude-pipeline/schemas/testing';
import { createLogger, createMetricsRegistry } from '@claude-pipeline/telemetry';
import { generateStandardWebhookSecret } from '@claude-pipeline/signing';
import { createDestinationRegistry } from '../destinations/destination-registry.ts';
import type { AttemptResult, CallbackClient, CallbackRequest } from '../http/callback-client.ts';
import { createNotifierMetrics } from '../metrics.ts';
import { createAddressPolicy } from '../ssrf/address-policy.ts';
import { createTenantSigners } from './callback-request.ts';
import { createDeliveryHandler, DELIVERY_ATTEMPTS_HEADER } from './deliver.handler.ts';
import { createGoneList, createHandoffLedger } from './handoff-ledger.ts';
import type { StatusPublisher, StatusUpdate } from './status.publisher.ts';

const names = topicNames('unit');

/** Polls until `check` holds (unit tests run on busy machines: no fixed sleeps). */
async function eventually(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
const URL_OK = 'https://hooks.example.com/cb';

/** A callback client whose answers the test hands out one by one. */
function fakeClient() {
  const sent: CallbackRequest[] = [];
  const pending: ((result: AttemptResult) => void)[] = [];
  const client: CallbackClient = {
    send(request) {
      sent.push(request);
      return new Promise((resolve) => pending.push(resolve));
    },
    pools: 0,
    sweep: () => undefined,
    close: async () => undefined,
  };
  /** Answers the oldest waiting request, or the one at `index`. */
  const answer = (result: AttemptResult, index = 0) => {
    const next = pending.splice(index, 1)[0];
    if (!next) throw new Error('no request waiting');
    next(result);
  };
  return { client, sent, answer, pending };
}

const ok = (status = 200): AttemptResult => ({
  kind: 'response',
  status,
  headers: {},
  bodySnippet: '',
  durationMs: 3,
});

function setup(options: { handoffMs?: number; stallMs?: number; stages?: number } = {}) {
  const { client, sent, answer, pending } = fakeClient();
  const updates: StatusUpdate[] = [];
  const status: StatusPublisher = {
    publish: async (u) => void updates.push(structuredClone(u)),
    close: () => undefined,
  };
  const handler = createDeliveryHandler({
    names,
    stages: options.stages ?? 3,
    signers: createTenantSigners(new Map([['acme', [generateStandardWebhookSecret()]]])),
    client,
    destinations: createDestinationRegistry({
      concurrency: 4,
      queueLimit: 10,
      shortPauseMs: 50,
      stallMs: 1_000,
      busyRetryMs: 100,
      breaker: { failureThreshold: 2, cooldownMs: 60_000, maxCooldownMs: 60_000 },
    }),
    urlPolicy: { allowHttp: false, policy: createAddressPolicy() },
    status,
    ledger: createHandoffLedger({ ttlMs: 60_000 }),
    gone: createGoneList({ ttlMs: 60_000 }),
    metrics: createNotifierMetrics(
      createMetricsRegistry({ service: 'notifier', defaultMetrics: false }),
    ),
    logger: createLogger({ service: 'notifier', level: 'silent' }),
    handoffMs: options.handoffMs ?? 60_000,
    ...(options.stallMs === undefined ? {} : { stallMs: options.stallMs }),
    timeoutMs: 10_000,
    retryAfter: { defaultMs: 1_000, maxMs: 60_000 },
  });
  return { handler, sent, answer, pending, updates };
}

let offset = 0;
function recordOf(
  result: ResultRecord,
  topic = names.results,
  headers: Record<string, string> = {},
): ConsumedRecord {
  return {
    topic,
    partition: 0,
    offset: String((offset += 1)),
    key: Buffer.from(result.job_id),
    value: Buffer.from(encode(contracts.resultRecord, result)),
    headers: { ...headers },
    timestamp: '0',
    traceContext: ROOT_CONTEXT,
  };
}

const withCallback = (url = URL_OK): ResultRecord => ({
  ...sampleSucceededResult(),
  callback: { url },
});

async function thrown(promise: Promise<unknown>): Promise<ClassifiedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ClassifiedError);
  return error as ClassifiedError;
}

const routed = (
  record: ConsumedRecord,
  error: ClassifiedError,
  destination: 'retry' | 'dlq',
): RoutedEvent => ({
  record,
  classification: { errorClass: error.errorClass, message: error.message },
  destination,
  topic: destination === 'dlq' ? names.dlq('notifier') : names.retry('notifier', 1),
  attempts: 1,
  ...(destination === 'retry' ? { notBefore: Date.parse('2030-01-01T00:00:00.000Z') } : {}),
});

describe('delivery handler', () => {
  it('skips a result without a callback', async () => {
    const { handler, sent, updates } = setup();
    await handler.handle(recordOf(sampleSucceededResult()));
    expect(sent).toHaveLength(0);
    expect(updates).toHaveLength(0);
  });

  it('delivers: delivering, then delivered with attempt 1', async () => {
    const { handler, answer, sent, updates } = setup();
    const record = recordOf(withCallback());
    const done = handler.handle(record);
    await eventually(() => sent.length === 1);
    expect(sent[0]!.headers['webhook-id']).toBe('acme_5f2b9c1e7d.1');
    answer(ok());
    await done;
    expect(updates.map((u) => u.state)).toEqual(['delivering', 'delivered']);
    expect(updates[1]!.attempts).toEqual([
      expect.objectContaining({ number: 1, outcome: 'succeeded', http_status: 200 }),
    ]);
    expect(record.headers[DELIVERY_ATTEMPTS_HEADER]).toBe('1:1');
  });

  it('numbers attempts across stages from the header the record carries', async () => {
    const { handler, answer, pending } = setup();
    const record = recordOf(withCallback(), names.retry('notifier', 2), {
      [DELIVERY_ATTEMPTS_HEADER]: '1:2',
      [RETRY.attempt]: '2',
    });
    const done = thrown(handler.handle(record));
    await eventually(() => pending.length === 1);
    answer(ok(500));
    const error = await done;
    expect(error.errorClass).toBe('transient');
    expect(record.headers[DELIVERY_ATTEMPTS_HEADER]).toBe('1:3');
  });

  it('hands a slow attempt off: the record moves on, a replay joins it, then skips the POST once it succeeded', async () => {
    const { handler, answer, sent, updates } = setup({ handoffMs: 20 });
    const result = withCallback();
    const first = recordOf(result);
    const handedOff = await thrown(handler.handle(first));
    expect(handedOff.errorClass).toBe('transient');
    expect(handedOff.message).toMatch(/within 20 ms; attempt 1 continues in the background/);
    await handler.onRouted(routed(first, handedOff, 'retry'));

    // The stage replay while the POST still runs: wait for it, spend nothing, send nothing.
    const replay = () =>
      recordOf(result, names.retry('notifier', 1), { ...first.headers, [RETRY.attempt]: '1' });
    const joined = await thrown(handler.handle(replay()));
    expect(joined.errorClass).toBe('throttled');
    expect(sent).toHaveLength(1);

    answer(ok());
    await eventually(() => updates.at(-1)?.state === 'delivered');
    await handler.handle(replay()); // already delivered: returns without a POST
    expect(sent).toHaveLength(1);
  });

  it('hands an attempt off after the stall period when its endpoint answers nothing meanwhile', async () => {
    const { handler, pending } = setup({ handoffMs: 60_000, stallMs: 20 });
    const started = Date.now();
    const handedOff = await thrown(handler.handle(recordOf(withCallback())));
    expect(Date.now() - started).toBeLessThan(5_000); // not the 60 s hand-off budget
    expect(handedOff.errorClass).toBe('transient');
    expect(handedOff.message).toMatch(/within 20 ms, nor to any other request meanwhile/);
    expect(pending).toHaveLength(1); // the POST itself goes on
  });

  it('keeps waiting past the stall period while its endpoint answers other requests', async () => {
    const { handler, answer, pending } = setup({ handoffMs: 60_000, stallMs: 40 });
    const slow = handler.handle(recordOf(withCallback()));
    let settled = false;
    void slow.then(
      () => (settled = true),
      () => (settled = true),
    );
    await eventually(() => pending.length === 1);
    // Another request to the same endpoint finishes every 10 ms for 200 ms.
    for (let i = 0; i < 20; i += 1) {
      const other = handler.handle(recordOf(withCallback()));
      await eventually(() => pending.length === 2);
      answer(ok(), 1);
      await other;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(settled).toBe(false);
    answer(ok());
    await slow;
  });

  it('in the last stage it waits for the answer instead of handing off', async () => {
    const { handler, answer, pending } = setup({ handoffMs: 5, stages: 1 });
    const record = recordOf(withCallback(), names.retry('notifier', 1), { [RETRY.attempt]: '1' });
    const done = handler.handle(record);
    await new Promise((r) => setTimeout(r, 30)); // well past the 5 ms budget: still waiting
    expect(pending).toHaveLength(1);
    answer(ok());
    await done;
  });

  it('a 429 pauses the destination: short pauses are waited out, the attempt is reported', async () => {
    const { handler, answer, sent, updates, pending } = setup();
    const done = handler.handle(recordOf(withCallback()));
    await eventually(() => pending.length === 1);
    answer({
      ...(ok(429) as Extract<AttemptResult, { kind: 'response' }>),
      headers: { 'retry-after': '0' },
    });
    await eventually(() => pending.length === 1);
    expect(sent).toHaveLength(2);
    answer(ok());
    await done;
    expect(updates.at(-1)!.attempts.map((a) => [a.number, a.http_status, a.outcome])).toEqual([
      [1, 429, 'retrying'],
      [2, 200, 'succeeded'],
    ]);
  });

  it('an endpoint that keeps answering 429 with Retry-After: 0 gets two tries, then the record is parked', async () => {
    const { handler, answer, sent, pending } = setup();
    const done = thrown(handler.handle(recordOf(withCallback())));
    const throttle = {
      ...(ok(429) as Extract<AttemptResult, { kind: 'response' }>),
      headers: { 'retry-after': '0' },
    };
    await eventually(() => pending.length === 1);
    answer(throttle);
    await eventually(() => pending.length === 1);
    answer(throttle);
    const parked = await done;
    expect(parked.errorClass).toBe('throttled');
    expect(sent).toHaveLength(2);
  });

  it('a refused URL is an attempt that failed; the DLQ routing reports the job undeliverable', async () => {
    const { handler, sent, updates } = setup();
    const record = recordOf(withCallback('https://169.254.169.254/latest'));
    const error = await thrown(handler.handle(record));
    expect(error.errorClass).toBe('invalid');
    expect(sent).toHaveLength(0);
    await handler.onRouted(routed(record, error, 'dlq'));
    expect(updates.at(-1)).toMatchObject({
      state: 'undeliverable',
      attempts: [{ number: 1, outcome: 'failed', error: { class: 'invalid' } }],
    });
  });

  it('once the circuit is open, records are not sent and spend an attempt', async () => {
    const { handler, answer, sent, pending } = setup();
    for (let i = 0; i < 2; i += 1) {
      const done = thrown(handler.handle(recordOf(withCallback())));
      await eventually(() => pending.length === 1);
      answer({ kind: 'timeout', durationMs: 10_000 });
      await done;
    }
    const shed = await thrown(handler.handle(recordOf(withCallback())));
    expect(shed.errorClass).toBe('transient');
    expect(shed.message).toMatch(/^not sent: https:\/\/hooks\.example\.com: circuit open/);
    expect(sent).toHaveLength(2);
  });

  it('a tenant without secrets is dead-lettered, naming the tenant', async () => {
    const { handler } = setup();
    const error = await thrown(handler.handle(recordOf({ ...withCallback(), tenant: 'nobody' })));
    expect(error.errorClass).toBe('invalid');
    expect(error.message).toBe('no callback signing secret configured for tenant "nobody"');
  });
});
