/**
 * Message Batches with the real SDK: create, retrieve, list with pagination, cancel, delete,
 * `results()` decoding, status transitions on the sim's clock, per-request outcomes (succeeded,
 * errored, canceled, expired) and our signed completion notification.
 */
import Anthropic, { type APIError } from '@anthropic-ai/sdk';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { startCallbackSink, waitFor } from '@claude-pipeline/testing';
import { Webhook } from 'standardwebhooks';
import { MODEL, startHarness, type Harness } from './sim-harness.ts';

type BatchRequest = Anthropic.Messages.BatchCreateParams.Request;

/** The API's create-body cap (256 MB), written out here so that a changed limit fails a test. */
const BATCH_BODY_CAP = 256 * 1024 * 1024;

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A batch create that declares `contentLength` bytes but sends only `sent` (a few bytes): a body
 * over the cap is never actually sent. Resolves with the answer, or `undefined` when none came
 * within `waitMs` (the sim is still waiting for the declared body); the request is then cut.
 */
function createDeclaring(
  url: string,
  contentLength: number,
  sent: string,
  waitMs: number,
): Promise<RawAnswer | undefined> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/v1/messages/batches`, {
      method: 'POST',
      headers: {
        'x-api-key': 'sim-key',
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
        'content-length': String(contentLength),
      },
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve(undefined);
    }, waitMs);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.write(sent);
  });
}

let h: Harness;
afterEach(async () => {
  await h.close();
});

const request = (customId: string, text = `Question ${customId}`): BatchRequest => ({
  custom_id: customId,
  params: { model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: text }] },
});

async function resultsOf(
  client: Anthropic,
  id: string,
): Promise<Anthropic.Messages.MessageBatchIndividualResponse[]> {
  const out: Anthropic.Messages.MessageBatchIndividualResponse[] = [];
  for await (const result of await client.messages.batches.results(id)) out.push(result);
  return out;
}

const advance = (ms: number) => h.admin('POST', '/_sim/clock/advance', { ms });

describe('message batches', () => {
  beforeEach(async () => {
    h = await startHarness({ SIM_BATCH_PROCESSING_MS: '60000', SIM_BATCH_CANCEL_MS: '1000' });
  });

  it('create → in_progress → (clock) ended; results decode with one line per request', async () => {
    const client = h.client();
    const batch = await client.messages.batches.create({
      requests: [request('a'), request('b'), request('c')],
    });
    expect(batch).toMatchObject({
      type: 'message_batch',
      processing_status: 'in_progress',
      request_counts: { processing: 3, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      ended_at: null,
      cancel_initiated_at: null,
      archived_at: null,
      results_url: null,
    });
    expect(batch.id).toMatch(/^msgbatch_01/);
    expect(Date.parse(batch.expires_at) - Date.parse(batch.created_at)).toBe(24 * 3600 * 1000);
    await expect(client.messages.batches.results(batch.id)).rejects.toThrow(/results_url/);

    await advance(60_000);
    const ended = await client.messages.batches.retrieve(batch.id);
    expect(ended.processing_status).toBe('ended');
    expect(ended.request_counts).toEqual({
      processing: 0,
      succeeded: 3,
      errored: 0,
      canceled: 0,
      expired: 0,
    });
    expect(ended.ended_at).not.toBeNull();
    expect(ended.results_url).toBe(`${h.url}/v1/messages/batches/${batch.id}/results`);

    const results = await resultsOf(client, batch.id);
    expect(results.map((r) => r.custom_id).sort()).toEqual(['a', 'b', 'c']);
    for (const r of results) {
      expect(r.result.type).toBe('succeeded');
      if (r.result.type === 'succeeded') {
        expect(r.result.message).toMatchObject({
          type: 'message',
          role: 'assistant',
          model: MODEL,
        });
        expect(r.result.message.usage.service_tier).toBe('batch');
      }
    }
    // Reading twice gives the same results (same message ids).
    expect(await resultsOf(client, batch.id)).toEqual(results);
  });

  it('a batch ends on its own once the processing time has passed', async () => {
    await h.close();
    h = await startHarness({ SIM_BATCH_PROCESSING_MS: '150' });
    const client = h.client();
    const batch = await client.messages.batches.create({ requests: [request('x')] });
    const ended = await waitFor(async () => {
      const b = await client.messages.batches.retrieve(batch.id);
      return b.processing_status === 'ended' ? b : undefined;
    });
    expect(ended.request_counts.succeeded).toBe(1);
  });

  it('per-request outcomes: scripted errors and expiries, invalid params errored', async () => {
    await h.admin('POST', '/_sim/faults', [
      { match: { custom_id: 'fails' }, action: { type: 'error', status: 500 }, times: 1 },
      { match: { custom_id: 'late' }, action: { type: 'expire' } },
      { match: { contains: 'overloaded please' }, action: { type: 'error', status: 529 } },
    ]);
    const client = h.client();
    const bad: BatchRequest = {
      custom_id: 'bad',
      params: { model: MODEL, messages: [{ role: 'user', content: 'x' }] } as never,
    };
    const unknownModel: BatchRequest = {
      custom_id: 'nomodel',
      params: { model: 'claude-nope', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] },
    };
    const batch = await client.messages.batches.create({
      requests: [
        request('ok'),
        request('fails'),
        request('late'),
        request('busy', 'overloaded please'),
        bad,
        unknownModel,
      ],
    });
    await advance(60_000);
    const ended = await client.messages.batches.retrieve(batch.id);
    expect(ended.request_counts).toEqual({
      processing: 0,
      succeeded: 1,
      errored: 4,
      canceled: 0,
      expired: 1,
    });
    const byId = new Map((await resultsOf(client, batch.id)).map((r) => [r.custom_id, r.result]));
    expect(byId.get('ok')?.type).toBe('succeeded');
    expect(byId.get('late')).toEqual({ type: 'expired' });
    expect(byId.get('fails')).toMatchObject({
      type: 'errored',
      error: { type: 'error', error: { type: 'api_error' } },
    });
    expect(byId.get('busy')).toMatchObject({
      type: 'errored',
      error: { error: { type: 'overloaded_error' } },
    });
    expect(byId.get('bad')).toMatchObject({
      type: 'errored',
      error: { error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } },
    });
    expect(byId.get('nomodel')).toMatchObject({
      type: 'errored',
      error: { error: { type: 'not_found_error', message: 'model: claude-nope' } },
    });

    // `times: 1`: resubmitting the failed request succeeds.
    const retry = await client.messages.batches.create({ requests: [request('fails')] });
    await advance(60_000);
    expect((await client.messages.batches.retrieve(retry.id)).request_counts.succeeded).toBe(1);
  });

  it('cancel: canceling, then ended with unprocessed requests canceled; stats count it', async () => {
    const client = h.client();
    const batch = await client.messages.batches.create({
      requests: [request('r1'), request('r2'), request('r3'), request('r4')],
    });
    await advance(30_000); // half the processing time: r1 and r2 are done
    const canceling = await client.messages.batches.cancel(batch.id);
    expect(canceling.processing_status).toBe('canceling');
    expect(canceling.cancel_initiated_at).not.toBeNull();
    expect(canceling.request_counts.processing).toBe(4);
    await advance(1_000);
    const ended = await client.messages.batches.retrieve(batch.id);
    expect(ended.processing_status).toBe('ended');
    expect(ended.request_counts).toEqual({
      processing: 0,
      succeeded: 2,
      errored: 0,
      canceled: 2,
      expired: 0,
    });
    const canceled = (await resultsOf(client, batch.id)).filter(
      (r) => r.result.type === 'canceled',
    );
    expect(canceled.map((r) => r.custom_id).sort()).toEqual(['r3', 'r4']);
    const stats = await h.admin<{ batches: Record<string, number> }>('GET', '/_sim/stats');
    expect(stats.batches).toMatchObject({ created: 1, canceled: 1, ended: 1, running: 0 });
    await expect(client.messages.batches.cancel(batch.id)).rejects.toBeInstanceOf(
      Anthropic.BadRequestError,
    );
  });

  it('a batch still processing at expires_at ends with its unfinished requests expired', async () => {
    await h.close();
    h = await startHarness({ SIM_BATCH_PROCESSING_MS: String(48 * 3600 * 1000) });
    const client = h.client();
    const batch = await client.messages.batches.create({
      requests: [request('e1'), request('e2'), request('e3'), request('e4')],
    });
    await advance(24 * 3600 * 1000);
    const ended = await client.messages.batches.retrieve(batch.id);
    expect(ended.processing_status).toBe('ended');
    expect(ended.ended_at).toBe(batch.expires_at);
    expect(ended.request_counts).toEqual({
      processing: 0,
      succeeded: 2,
      errored: 0,
      canceled: 0,
      expired: 2,
    });
  });

  it('delete works only once a batch has ended; then it is gone', async () => {
    const client = h.client();
    const batch = await client.messages.batches.create({ requests: [request('d')] });
    await expect(client.messages.batches.delete(batch.id)).rejects.toBeInstanceOf(
      Anthropic.BadRequestError,
    );
    await advance(60_000);
    expect(await client.messages.batches.delete(batch.id)).toEqual({
      id: batch.id,
      type: 'message_batch_deleted',
    });
    await expect(client.messages.batches.retrieve(batch.id)).rejects.toBeInstanceOf(
      Anthropic.NotFoundError,
    );
  });

  it('list pages newest first with has_more, first_id, last_id; the SDK auto-paginates', async () => {
    const client = h.client();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await client.messages.batches.create({ requests: [request(`l${i}`)] })).id);
    const newestFirst = [...ids].reverse();

    const page = await client.messages.batches.list({ limit: 2 });
    expect(page.data.map((b) => b.id)).toEqual(newestFirst.slice(0, 2));
    expect(page.has_more).toBe(true);
    expect(page.first_id).toBe(newestFirst[0]);
    expect(page.last_id).toBe(newestFirst[1]);

    const all: string[] = [];
    for await (const batch of client.messages.batches.list({ limit: 2 })) all.push(batch.id);
    expect(all).toEqual(newestFirst);

    const after = await client.messages.batches.list({ limit: 10, after_id: newestFirst[2]! });
    expect(after.data.map((b) => b.id)).toEqual(newestFirst.slice(3));
    expect(after.has_more).toBe(false);
    const before = await client.messages.batches.list({ limit: 1, before_id: newestFirst[2]! });
    expect(before.data.map((b) => b.id)).toEqual([newestFirst[1]]);
    expect(before.has_more).toBe(true);
  });

  it.each([
    ['an empty list', { requests: [] }, /requests: List should have at least 1 item/],
    [
      'a custom_id with a space',
      { requests: [request('has space')] },
      /requests\.0\.custom_id: String should match pattern/,
    ],
    ['a custom_id of 65 chars', { requests: [request('x'.repeat(65))] }, /requests\.0\.custom_id/],
    ['duplicate custom_ids', { requests: [request('dup'), request('dup')] }, /duplicate: dup/],
  ])('%s is a 400', async (_name, body, message) => {
    const error = await h
      .client()
      .messages.batches.create(body as Anthropic.Messages.BatchCreateParams)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as APIError).apiMessage).toMatch(message);
  });

  it('accepts 100,000 requests and refuses 100,001', async () => {
    const client = h.client({ timeout: 60_000 });
    // One-token replies keep the 100,000 results small.
    const many = Array.from({ length: 100_000 }, (_, i): BatchRequest => ({
      custom_id: `r${i}`,
      params: { model: MODEL, max_tokens: 1, messages: [{ role: 'user', content: 'same' }] },
    }));
    const batch = await client.messages.batches.create({ requests: many });
    expect(batch.request_counts.processing).toBe(100_000);
    await expect(
      client.messages.batches.create({ requests: [...many, request('one-more')] }),
    ).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await advance(60_000);
    // Counted from the raw JSONL (the SDK's decoder is exercised by the tests above).
    const { results_url } = await client.messages.batches.retrieve(batch.id);
    const body = await (await h.api(new URL(results_url ?? '').pathname)).text();
    expect(body.split('\n').filter((line) => line !== '')).toHaveLength(100_000);
  });

  it('a create body declared over 256 MB is a 413 request_too_large before any of it is read', async () => {
    const answer = await createDeclaring(h.url, BATCH_BODY_CAP + 1, '{"requests":[', 10_000);
    expect(answer).toBeDefined();
    const { status, headers, body } = answer!;
    expect(status).toBe(413);
    expect(headers['content-type']).toMatch(/^application\/json/);
    expect(headers['x-should-retry']).toBe('false');
    const requestId = headers['request-id'];
    expect(requestId).toMatch(/^req_/);
    expect(JSON.parse(body)).toEqual({
      type: 'error',
      error: {
        type: 'request_too_large',
        message: 'Request exceeds the maximum allowed number of bytes.',
      },
      request_id: requestId,
    });
  });

  it('a create body of exactly 256 MB is not refused up front (the 32 MB Messages cap does not apply)', async () => {
    // Over the 32 MB limit of the other routes: a 413 would come at once (as above). Here the sim
    // waits for the declared body, which never comes, so no answer arrives; then the request is cut.
    expect(await createDeclaring(h.url, BATCH_BODY_CAP, '{"requests":[', 1_000)).toBeUndefined();
    // The sim is unharmed by the cut request.
    const batch = await h.client().messages.batches.create({ requests: [request('after-cut')] });
    expect(batch.request_counts.processing).toBe(1);
  });

  it('unknown batch ids are 404s', async () => {
    await expect(h.client().messages.batches.retrieve('msgbatch_nope')).rejects.toBeInstanceOf(
      Anthropic.NotFoundError,
    );
  });
});

describe('batch completion notification (our extension)', () => {
  it('POSTs a Standard Webhooks-signed message_batch.ended to the configured URL', async () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const sink = await startCallbackSink({ secrets: [secret] });
    try {
      h = await startHarness({
        SIM_BATCH_PROCESSING_MS: '100',
        SIM_BATCH_WEBHOOK_URL: `${sink.url}/batch-ended`,
        SIM_BATCH_WEBHOOK_SECRET: secret,
      });
      const batch = await h.client().messages.batches.create({ requests: [request('n1')] });
      const delivery = await waitFor(() => sink.deliveries[0]);
      expect(delivery.id).toBe(`${batch.id}_ended`);
      expect(delivery.json).toMatchObject({
        type: 'message_batch.ended',
        data: {
          id: batch.id,
          type: 'message_batch',
          processing_status: 'ended',
          request_counts: { succeeded: 1 },
        },
      });
      // Verified independently with the reference Standard Webhooks library.
      const verified = new Webhook(secret).verify(delivery.body, {
        'webhook-id': String(delivery.headers['webhook-id']),
        'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
        'webhook-signature': String(delivery.headers['webhook-signature']),
      });
      expect(verified).toMatchObject({ type: 'message_batch.ended' });
      expect(sink.rejections).toEqual([]);
    } finally {
      await sink.close();
    }
  });

  it('retries a refused notification with the same webhook-id', async () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const sink = await startCallbackSink({
      secrets: [secret],
      respond: (_d, attempt) => (attempt === 1 ? 503 : 200),
    });
    try {
      h = await startHarness({
        SIM_BATCH_PROCESSING_MS: '50',
        SIM_BATCH_WEBHOOK_URL: sink.url,
        SIM_BATCH_WEBHOOK_SECRET: secret,
      });
      const batch = await h.client().messages.batches.create({ requests: [request('n2')] });
      await waitFor(() => sink.deliveries.length >= 2, { timeoutMs: 5_000 });
      expect(sink.deliveries.map((d) => [d.id, d.status])).toEqual([
        [`${batch.id}_ended`, 503],
        [`${batch.id}_ended`, 200],
      ]);
    } finally {
      await sink.close();
    }
  });
});
