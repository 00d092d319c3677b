import { DLQ_HEADERS } from '@claude-pipeline/schemas';
import type { ResolvedAddress, Resolver } from '../src/http/resolver.ts';
import { resultFor, startHarness, statusesOf, waitFor, type Harness } from './support/harness.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';

/** Host names of the tests, answered without DNS (and unknown to the system resolver). */
const ANSWERS: Record<string, string[]> = {
  'loopback.test': ['127.0.0.1'],
  'private.test': ['10.0.0.1'],
  'metadata.test': ['169.254.169.254'],
  'v6-loopback.test': ['::1'],
  'mapped.test': ['::ffff:127.0.0.1'],
  'mixed.test': ['93.184.215.14', '127.0.0.1'],
  'receiver.test': ['127.0.0.1'],
};

function fakeResolver(calls: string[]): Resolver {
  return async (host) => {
    calls.push(host);
    const answers = ANSWERS[host];
    if (!answers)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

describe('SSRF protection (real broker, local receiver)', () => {
  let h: Harness;
  let receiver: Receiver;

  beforeAll(async () => {
    h = await startHarness();
    receiver = await startReceiver();
  });

  afterAll(async () => {
    await h.close();
    await receiver.close();
  });

  it('refuses callbacks that resolve to 127.0.0.1, 10.0.0.1, 169.254.169.254, [::1] or [::ffff:127.0.0.1] when loopback is not allowed, visibly in status and DLQ', async () => {
    const calls: string[] = [];
    await h.start({ NOTIFIER_ALLOW_CIDRS: '' }, { resolver: fakeResolver(calls) });
    const statuses = await h.read(h.names.status);
    const dlq = await h.read(h.names.dlq('notifier'));
    const port = receiver.port;
    const cases: [string, RegExp][] = [
      [
        `http://loopback.test:${port}/cb`,
        /loopback\.test resolves to 127\.0\.0\.1, a loopback address/,
      ],
      [`http://private.test:${port}/cb`, /10\.0\.0\.1, a private address/],
      [`http://metadata.test:${port}/cb`, /169\.254\.169\.254, a metadata address/],
      [`http://v6-loopback.test:${port}/cb`, /::1, a loopback address/],
      [`http://mapped.test:${port}/cb`, /::ffff:127\.0\.0\.1, a loopback address/],
      [`http://mixed.test:${port}/cb`, /127\.0\.0\.1, a loopback address/],
      [`http://127.0.0.1:${port}/cb`, /127\.0\.0\.1 is a loopback address/],
      [`http://10.0.0.1:${port}/cb`, /10\.0\.0\.1 is a private address/],
      [`http://169.254.169.254/latest/meta-data/`, /169\.254\.169\.254 is a metadata address/],
      [`http://[::1]:${port}/cb`, /\[::1\] is a loopback address/],
      [`http://[::ffff:127.0.0.1]:${port}/cb`, /\[::ffff:7f00:1\] is a loopback address/],
    ];
    const results = cases.map(([url]) => resultFor(url, 'ssrf'));
    await h.sendResults(results);

    await waitFor(() => results.every((r) => dlq.some((d) => d.key === r.job_id)), {
      description: 'every refused callback dead-lettered',
    });
    await waitFor(
      () =>
        results.every((r) =>
          statusesOf(statuses, r.job_id).some((s) => s.state === 'undeliverable'),
        ),
      { description: 'every refused job undeliverable' },
    );
    cases.forEach(([url, reason], i) => {
      const job = results[i]!.job_id;
      const letter = dlq.find((d) => d.key === job)!;
      expect({ url, class: letter.headers[DLQ_HEADERS.errorClass] }).toEqual({
        url,
        class: 'invalid',
      });
      expect(letter.headers[DLQ_HEADERS.errorMessage]).toMatch(reason);
      expect(letter.headers[DLQ_HEADERS.errorStage]).toBe('source');
      const final = statusesOf(statuses, job).find((s) => s.state === 'undeliverable')!;
      expect(final.attempts.at(-1)).toMatchObject({
        outcome: 'failed',
        error: { class: 'invalid' },
      });
      expect(final.attempts.at(-1)!.error!.message).toMatch(reason);
    });
    expect(receiver.received).toEqual([]);
    // IP literals never reach the resolver; names are resolved once each.
    expect(calls.sort()).toEqual(
      [
        'loopback.test',
        'private.test',
        'metadata.test',
        'v6-loopback.test',
        'mapped.test',
        'mixed.test',
      ].sort(),
    );
  });

  it('delivers to an allow-listed address by connecting to exactly the address it checked, Host kept', async () => {
    const calls: string[] = [];
    const connects: [string, ResolvedAddress][] = [];
    const h2 = await startHarness();
    try {
      await h2.start(
        { NOTIFIER_ALLOW_CIDRS: '127.0.0.0/8' },
        {
          resolver: fakeResolver(calls),
          onConnect: (host, address) => connects.push([host, address]),
        },
      );
      const before = receiver.received.length;
      const results = Array.from({ length: 5 }, () =>
        resultFor(`http://receiver.test:${receiver.port}/cb`, 'ok'),
      );
      await h2.sendResults(results);
      await waitFor(() => receiver.received.length === before + 5, {
        description: 'five deliveries',
      });
      const delivered = receiver.received.slice(before);
      // The system resolver does not know receiver.test: had anything looked it up again, the
      // connection would have failed. The Host header is the URL's.
      expect(delivered.every((r) => r.headers.host === `receiver.test:${receiver.port}`)).toBe(
        true,
      );
      expect(connects.length).toBeGreaterThanOrEqual(1);
      expect(
        connects.every(([host, a]) => host === 'receiver.test' && a.address === '127.0.0.1'),
      ).toBe(true);
      expect(calls.length).toBe(connects.length); // one lookup per connection, no second one
    } finally {
      await h2.close();
    }
  });

  it('refuses plain http unless it is allowed', async () => {
    const h3 = await startHarness();
    try {
      await h3.start({ NOTIFIER_ALLOW_HTTP: 'false' });
      const dlq = await h3.read(h3.names.dlq('notifier'));
      const result = resultFor(`${receiver.url}/cb`, 'http');
      await h3.sendResults([result]);
      await waitFor(() => dlq.some((d) => d.key === result.job_id), { description: 'dead letter' });
      expect(dlq[0]!.headers[DLQ_HEADERS.errorMessage]).toBe(
        'refused: http callbacks are not allowed (https only)',
      );
    } finally {
      await h3.close();
    }
  });
});
