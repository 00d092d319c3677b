import { DLQ_HEADERS, RETRY_HEADERS } from '@claude-pipeline/schemas';
import {
  resultFor,
  startHarness,
  statusesOf,
  waitFor,
  type Harness,
  type KafkaRecord,
} from './support/harness.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';

/** The test schedule (ms): NOTIFIER_RETRY_DELAYS_MS of the harness. */
const SCHEDULE = [300, 600, 900, 1200];

describe('outcomes and the retry schedule (real broker)', () => {
  let h: Harness;
  let statuses: KafkaRecord[];
  let dlq: KafkaRecord[];
  const receivers: Receiver[] = [];
  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };

  beforeAll(async () => {
    h = await startHarness();
    await h.start();
    statuses = await h.read(h.names.status);
    dlq = await h.read(h.names.dlq('notifier'));
  });

  afterAll(async () => {
    await h.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  const dlqOf = (job: string) => dlq.filter((r) => r.key === job);

  it('a receiver that fails 3 times then succeeds gets the payload, after delays no shorter than the schedule', async () => {
    const flaky = await receiver({
      secrets: h.secrets.acme,
      respond: (_r, n) => (n <= 3 ? 500 : 200),
    });
    const result = resultFor(`${flaky.url}/cb`, 'flaky');
    await h.sendResults([result]);

    await waitFor(() => flaky.received.some((r) => r.status === 200), {
      timeoutMs: 20_000,
      description: 'the fourth attempt to succeed',
    });
    const times = flaky.received.map((r) => r.at);
    expect(flaky.received.map((r) => r.status)).toEqual([500, 500, 500, 200]);
    for (let i = 1; i < times.length; i += 1) {
      expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(SCHEDULE[i - 1]!);
    }
    expect(new Set(flaky.received.map((r) => r.id))).toEqual(new Set([`${result.job_id}.1`]));
    expect(flaky.received.every((r) => r.verified)).toBe(true);

    await waitFor(() => statusesOf(statuses, result.job_id).some((s) => s.state === 'delivered'), {
      description: 'delivered status',
    });
    const attempts = statusesOf(statuses, result.job_id).flatMap((s) => s.attempts);
    expect(attempts.map((a) => [a.number, a.outcome, a.http_status])).toEqual([
      [1, 'retrying', 500],
      [2, 'retrying', 500],
      [3, 'retrying', 500],
      [4, 'succeeded', 200],
    ]);
    expect(attempts[0]!.error!.message).toMatch(
      /^HTTP 500 from http:\/\/127\.0\.0\.1:\d+ after \d+ ms; next attempt at /,
    );
    expect(dlqOf(result.job_id)).toEqual([]);
  });

  it('one that always fails ends in the DLQ with the last status, and the job is undeliverable', async () => {
    const doomed = await receiver({ respond: () => 503 });
    const result = resultFor(`${doomed.url}/cb`, 'doomed');
    await h.sendResults([result]);

    await waitFor(() => dlqOf(result.job_id).length === 1, {
      timeoutMs: 20_000,
      description: 'the dead letter',
    });
    expect(doomed.received).toHaveLength(1 + SCHEDULE.length);
    const letter = dlqOf(result.job_id)[0]!;
    expect(letter.headers).toMatchObject({
      [DLQ_HEADERS.errorClass]: 'transient',
      [DLQ_HEADERS.errorRetriable]: 'true',
      [DLQ_HEADERS.errorStage]: `retry.${SCHEDULE.length}`,
      [DLQ_HEADERS.originalTopic]: h.names.results,
      [RETRY_HEADERS.attempt]: String(SCHEDULE.length + 1),
      'correlation-id': result.correlation_id,
    });
    expect(letter.headers[DLQ_HEADERS.errorMessage]).toMatch(/^HTTP 503 from /);
    // The original record, byte for byte.
    expect(letter.json).toEqual(JSON.parse(JSON.stringify(result)));

    await waitFor(
      () => statusesOf(statuses, result.job_id).some((s) => s.state === 'undeliverable'),
      {
        description: 'undeliverable status',
      },
    );
    const final = statusesOf(statuses, result.job_id).find((s) => s.state === 'undeliverable')!;
    expect(final.attempts.at(-1)).toMatchObject({ number: 5, outcome: 'failed', http_status: 503 });
  });

  it('other 4xx go to the DLQ at once; 410 stops every later delivery to that URL', async () => {
    const badRequest = await receiver({ respond: () => 400 });
    const gone = await receiver({ respond: () => 410 });
    const rejected = resultFor(`${badRequest.url}/cb`, 'bad');
    const first = resultFor(`${gone.url}/cb`, 'gone1');
    await h.sendResults([rejected, first]);
    await waitFor(() => dlqOf(rejected.job_id).length === 1 && dlqOf(first.job_id).length === 1, {
      description: 'two dead letters',
    });
    expect(badRequest.received).toHaveLength(1);
    expect(dlqOf(rejected.job_id)[0]!.headers).toMatchObject({
      [DLQ_HEADERS.errorClass]: 'invalid',
      [DLQ_HEADERS.errorStage]: 'source',
      [DLQ_HEADERS.errorRetriable]: 'false',
    });
    expect(dlqOf(first.job_id)[0]!.headers[DLQ_HEADERS.errorMessage]).toMatch(
      /HTTP 410 .*delivery to this URL is stopped/,
    );

    const second = resultFor(`${gone.url}/cb`, 'gone2');
    await h.sendResults([second]);
    await waitFor(() => dlqOf(second.job_id).length === 1, {
      description: 'the second dead letter',
    });
    expect(gone.received).toHaveLength(1); // the second result was never POSTed
    expect(dlqOf(second.job_id)[0]!.headers[DLQ_HEADERS.errorMessage]).toMatch(
      /answered 410 Gone at/,
    );
    await waitFor(
      () => statusesOf(statuses, second.job_id).some((s) => s.state === 'undeliverable'),
      {
        description: 'undeliverable status of the second',
      },
    );
  });

  it('429 pauses that destination only, honours Retry-After and spends no attempt', async () => {
    // Six 429s: more than the four stages, so spending attempts would have dead-lettered it.
    const throttling = await receiver({
      respond: (_r, n) => (n <= 6 ? { status: 429, headers: { 'retry-after': '1' } } : 200),
    });
    const healthy = await receiver();
    const throttled = resultFor(`${throttling.url}/cb`, 'throttled');
    await h.sendResults([throttled]);
    await waitFor(() => throttling.received.length >= 1, { description: 'the first 429' });

    const others = Array.from({ length: 20 }, () => resultFor(`${healthy.url}/cb`, 'other'));
    await h.sendResults(others);
    await waitFor(() => healthy.received.length === 20, { description: 'the other destination' });
    // All of them went through while the throttled destination was still paused.
    await waitFor(() => throttling.received.length >= 2, { description: 'the second 429' });
    expect(Math.max(...healthy.received.map((r) => r.at))).toBeLessThan(throttling.received[1]!.at);

    await waitFor(() => throttling.received.some((r) => r.status === 200), {
      timeoutMs: 30_000,
      description: 'delivery after six 429s',
    });
    const times = throttling.received.map((r) => r.at);
    for (let i = 1; i < times.length; i += 1)
      expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1000);
    expect(dlqOf(throttled.job_id)).toEqual([]);
    await waitFor(
      () => statusesOf(statuses, throttled.job_id).some((s) => s.state === 'delivered'),
      {
        description: 'delivered status',
      },
    );
    const attempts = statusesOf(statuses, throttled.job_id).flatMap((s) => s.attempts);
    expect(
      attempts.filter((a) => a.http_status === 429 && a.error?.class === 'throttled'),
    ).toHaveLength(6);
  });
});
