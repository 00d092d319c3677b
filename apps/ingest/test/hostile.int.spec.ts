/**
 * Hostile input against a real ingest on the real broker (issue 11, "Hostile input"): a table of
 * bad requests, each with its expected status and problem `code`. After every row the events
 * topic's end offsets must be exactly what they were before it (nothing reached Kafka), and at
 * the end the service must still be healthy, ready, and accept a valid request.
 *
 * Requests a client library would refuse to send (duplicated headers, bare CR, NUL, obs-fold,
 * smuggling, raw non-UTF-8 header bytes) go over a plain TCP socket (`rawRequest`).
 */
import { PROBLEM_CONTENT_TYPE } from '@claude-pipeline/schemas';
import { startHarness, type Harness } from './ingest-harness.ts';
import {
  API_KEY,
  deepArray,
  rawRequest,
  signedShopBytes,
  type HostileResponse,
  type RawHeader,
} from './hostile.fixtures.ts';
import { bearer } from './server-fixture.ts';
import {
  samplePayload,
  signedHeaders,
  type SignOptions,
  type SourceName,
} from './webhook-fixtures.ts';

interface Row {
  name: string;
  send: () => Promise<HostileResponse>;
  status: number;
  /** The problem `code` (answers of Node's HTTP parser, before fastify, are problems too). */
  code: string;
}

describe('hostile input (real broker)', () => {
  let harness: Harness;
  let port: number;

  beforeAll(async () => {
    harness = await startHarness();
    port = Number(new URL(harness.ingest.url).port);
  });
  afterAll(async () => {
    await harness.close();
  });

  /** End offset per partition of the events topic, as one comparable string. */
  const endOffsets = async (): Promise<string> => {
    const offsets = await harness.admin.fetchTopicOffsets(harness.names.events);
    return offsets
      .map((o) => `${o.partition}:${o.high}`)
      .sort()
      .join(',');
  };

  const viaFetch = async (
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: string | Buffer },
  ): Promise<HostileResponse> => {
    const res = await fetch(`${harness.ingest.url}${path}`, {
      method: init.method ?? 'POST',
      headers: init.headers ?? {},
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    return {
      status: res.status,
      contentType: res.headers.get('content-type'),
      body: await res.text(),
    };
  };

  const webhook = (source: string, body: string | Buffer, headers: Record<string, string>) =>
    viaFetch(`/v1/webhooks/${source}`, { headers, body });

  /** A correctly signed delivery of `body`, with some headers replaced or removed (`null`). */
  const signed = (
    source: SourceName,
    body: string,
    changes: Record<string, string | null> = {},
    options: SignOptions = {},
  ): Promise<HostileResponse> => {
    const merged = { ...signedHeaders(source, body, options), ...changes };
    const headers = Object.fromEntries(
      Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== null),
    );
    return webhook(source, body, headers);
  };

  const payload = (source: SourceName) => JSON.stringify(samplePayload(source));

  const job = (body: string | Buffer, headers: Record<string, string> = {}) =>
    viaFetch('/v1/jobs', {
      headers: { authorization: bearer('acme'), 'content-type': 'application/json', ...headers },
      body,
    });

  /** A raw request of a signed delivery: every header line as given (duplicates kept). */
  const rawSigned = (source: SourceName, body: string, extra: RawHeader[]) =>
    rawRequest(port, {
      path: `/v1/webhooks/${source}`,
      headers: [...Object.entries(signedHeaders(source, body)), ...extra],
      body,
    });

  const rawJob = (headers: RawHeader[], body = '{"prompt":"hi"}') =>
    rawRequest(port, {
      path: '/v1/jobs',
      headers: [['content-type', 'application/json'], ...headers],
      body,
    });

  const now = () => Math.floor(Date.now() / 1000);
  const HOUR = 3600;
  const validJob = JSON.stringify({ prompt: 'Summarise the changelog.' });

  const rows: Row[] = [
    // --- github (body-only HMAC, hex) ------------------------------------------------------
    {
      name: 'github: no signature header',
      send: () => signed('github', payload('github'), { 'x-hub-signature-256': null }),
      status: 401,
      code: 'missing_header',
    },
    {
      name: 'github: empty signature header',
      send: () => signed('github', payload('github'), { 'x-hub-signature-256': '' }),
      status: 401,
      code: 'missing_header',
    },
    {
      name: 'github: signed with the wrong secret',
      send: () => signed('github', payload('github'), {}, { secret: 'not-the-secret' }),
      status: 401,
      code: 'bad_signature',
    },
    {
      name: 'github: sha1= signature (downgrade)',
      send: () =>
        signed('github', payload('github'), { 'x-hub-signature-256': `sha1=${'a'.repeat(40)}` }),
      status: 401,
      code: 'malformed_header',
    },
    {
      name: 'github: signature is not hex',
      send: () =>
        signed('github', payload('github'), { 'x-hub-signature-256': `sha256=${'z'.repeat(64)}` }),
      status: 401,
      code: 'malformed_header',
    },
    {
      name: 'github: body truncated after signing',
      send: () => {
        const body = payload('github');
        return webhook('github', body.slice(0, -10), signedHeaders('github', body));
      },
      status: 401,
      code: 'bad_signature',
    },
    {
      name: 'github: a byte appended after signing',
      send: () => {
        const body = payload('github');
        return webhook('github', `${body} `, signedHeaders('github', body));
      },
      status: 401,
      code: 'bad_signature',
    },
    {
      name: 'github: signature header sent twice (valid + forged)',
      send: () =>
        rawSigned('github', payload('github'), [
          ['x-hub-signature-256', `sha256=${'0'.repeat(64)}`],
        ]),
      status: 401,
      code: 'malformed_header',
    },
    {
      name: 'github: signature header sent twice (forged + valid)',
      send: () => {
        const body = payload('github');
        return rawRequest(port, {
          path: '/v1/webhooks/github',
          headers: [
            ['x-hub-signature-256', `sha256=${'0'.repeat(64)}`],
            ...Object.entries(signedHeaders('github', body)),
          ],
          body,
        });
      },
      status: 401,
      code: 'malformed_header',
    },
    {
      name: 'github: valid signature, no X-GitHub-Event',
      send: () => signed('github', payload('github'), { 'x-github-event': null }),
      status: 400,
      code: 'missing_event_type',
    },
    {
      name: 'github: valid signature, no X-GitHub-Delivery',
      send: () => signed('github', payload('github'), { 'x-github-delivery': null }),
      status: 400,
      code: 'missing_delivery_id',
    },
    // --- stripe (t=,v1= over `${t}.${body}`) -----------------------------------------------
    {
      name: 'stripe: no Stripe-Signature',
      send: () => signed('stripe', payload('stripe'), { 'stripe-signature': null }),
      status: 401,
      code: 'missing_header',
    },
    {
      name: 'stripe: no t= element',
      send: () =>
        signed('stripe', payload('stripe'), { 'stripe-signature': `v1=${'a'.repeat(64)}` }),
      status: 401,
      code: 'malformed_header',
    },
    {
      name: 'stripe: t= is not a number',
      send: () =>
        signed('stripe', payload('stripe'), { 'stripe-signature': `t=abc,v1=${'a'.repeat(64)}` }),
      status: 401,
      code: 'malformed_header',
    },
    {
      name: 'stripe: two t= elements',
      send: () => {
        const body = payload('stripe');
        const header = signedHeaders('stripe', body)['stripe-signature']!;
        return signed('stripe', body, { 'stripe-signature': `t=${now()},${header}` });
      },
      status: 401,
      code: 'malformed_header',
    },
    {
      name: 'stripe: t= changed after signing',
      send: () => {
        const body = payload('stripe');
        const header = signedHeaders('stripe', body)['stripe-signature']!;
        return signed('stripe', body, {
          'stripe-signature': header.replace(/^t=\d+/, `t=${now() + 1}`),
        });
      },
      status: 401,
      code: 'bad_signature',
    },
    {
      name: 'stripe: signed with the wrong secret',
      send: () => signed('stripe', payload('stripe'), {}, { secret: 'whsec_wrong' }),
      status: 401,
      code: 'bad_signature',
    },
    {
      name: 'stripe: replayed (signed an hour ago)',
      send: () => signed('stripe', payload('stripe'), {}, { timestamp: now() - HOUR }),
      status: 401,
      code: 'timestamp_too_old',
    },
    {
      name: 'stripe: timestamp an hour in the future',
      send: () => signed('stripe', payload('stripe'), {}, { timestamp: now() + HOUR }),
      status: 401,
      code: 'timestamp_too_new',
    },
    {
      name: 'stripe: signed JSON without its event id',
      send: () => {
        const body = JSON.stringify({ type: 'invoice.payment_failed', data: {} });
        return signed('stripe', body);
      },
      status: 422,
      code: 'missing_delivery_id',
    },
    // --- standard-webhooks (billing: two secrets, rotation) --------------------------------
    {
      name: 'standard-webhooks: no webhook-id',
      send: () => signed('billing', payload('billing'), { 'webhook-id': null }),
      status: 401,
      code: 'missing_header',
    },
    {
      name: 'standard-webhooks: no webhook-timestamp',
      send: () => signed('billing', payload('billing'), { 'webhook-timestamp': null }),
      status: 401,
      code: 'missing_header',
    },
    {
      name: 'standard-webhooks: no webhook-signature',
      send: () => signed('billing', payload('billing'), { 'webhook-signature': null }),
      status: 401,
      code: 'missing_header',
    },
    {
      name: 'standard-webhooks: signature entry without a version',
      send: () => signed('billing', payload('billing'), { 'webhook-signature': 'abcdef' }),
      status: 401,
      code: 'malformed_header',
    },
    {
      name: 'standard-webhooks: only a v1a (asymmetric) signature',
      send: () =>
        signed('billing', payload('billing'), { 'webhook-signature': `v1a,${'A'.repeat(86)}==` }),
      status: 401,
      code: 'bad_signature',
    },
    {
      name: 'standard-webhooks: webhook-id changed after signing',
      send: () => signed('billing', payload('billing'), { 'webhook-id': 'msg_other' }),
      status: 401,
      code: 'bad_signature',
    },
    {
      name: 'standard-webhooks: timestamp not plain digits',
      send: () => signed('billing', payload('billing'), { 'webhook-timestamp': `+${now()}` }),
      status: 401,
      code: 'malformed_header',
    },
    {
      name: 'standard-webhooks: replayed (signed an hour ago)',
      send: () => signed('billing', payload('billing'), {}, { timestamp: now() - HOUR }),
      status: 401,
      code: 'timestamp_too_old',
    },
    {
      name: 'standard-webhooks: timestamp an hour in the future',
      send: () => signed('billing', payload('billing'), {}, { timestamp: now() + HOUR }),
      status: 401,
      code: 'timestamp_too_new',
    },
    {
      name: 'standard-webhooks: webhook-timestamp sent twice',
      send: () => rawSigned('billing', payload('billing'), [['webhook-timestamp', String(now())]]),
      status: 401,
      code: 'malformed_header',
    },
    // --- anthropic (Standard Webhooks with its own secret) ---------------------------------
    {
      name: 'anthropic: signed with another source’s secret',
      send: () =>
        signed('anthropic', payload('anthropic'), {}, { secret: 'whsec_' + 'A'.repeat(43) + '=' }),
      status: 401,
      code: 'bad_signature',
    },
    {
      name: 'anthropic: no webhook-signature',
      send: () => signed('anthropic', payload('anthropic'), { 'webhook-signature': null }),
      status: 401,
      code: 'missing_header',
    },
    {
      name: 'anthropic: replayed (signed 10 minutes ago)',
      send: () => signed('anthropic', payload('anthropic'), {}, { timestamp: now() - 600 }),
      status: 401,
      code: 'timestamp_too_old',
    },
    {
      name: 'anthropic: billing’s valid signature sent to anthropic',
      send: () => {
        const body = payload('anthropic');
        return webhook('anthropic', body, signedHeaders('billing', body));
      },
      status: 401,
      code: 'bad_signature',
    },
    // --- hmac (shop: base64, signed timestamp header) --------------------------------------
    {
      name: 'hmac: no signature header',
      send: () => signed('shop', payload('shop'), { 'x-shop-hmac-sha256': null }),
      status: 401,
      code: 'missing_header',
    },
    {
      name: 'hmac: no timestamp header',
      send: () => signed('shop', payload('shop'), { 'x-shop-timestamp': null }),
      status: 401,
      code: 'missing_header',
    },
    {
      name: 'hmac: signed with the wrong secret',
      send: () => signed('shop', payload('shop'), {}, { secret: 'shop-wrong' }),
      status: 401,
      code: 'bad_signature',
    },
    {
      name: 'hmac: replayed (signed an hour ago)',
      send: () => signed('shop', payload('shop'), {}, { timestamp: now() - HOUR }),
      status: 401,
      code: 'timestamp_too_old',
    },
    {
      name: 'hmac: timestamp header changed after signing',
      send: () => signed('shop', payload('shop'), { 'x-shop-timestamp': String(now() - 1) }),
      status: 401,
      code: 'bad_signature',
    },
    {
      name: 'hmac: valid signature, no event id header',
      send: () => signed('shop', payload('shop'), { 'x-shop-event-id': null }),
      status: 400,
      code: 'missing_delivery_id',
    },
    {
      name: 'hmac: valid signature, payload without its event type',
      send: () => signed('shop', JSON.stringify({ order: { id: 1 } })),
      status: 422,
      code: 'missing_event_type',
    },
    // --- bodies ----------------------------------------------------------------------------
    {
      name: 'webhook: signed truncated JSON',
      send: () => signed('shop', payload('shop').slice(0, 12)),
      status: 400,
      code: 'malformed_json',
    },
    {
      name: 'webhook: signed invalid UTF-8',
      send: () => {
        const body = Buffer.concat([
          Buffer.from('{"topic":"orders/create","x":"'),
          Buffer.of(0xc3, 0x28),
          Buffer.from('"}'),
        ]);
        // The fixture signs strings as UTF-8: these exact bytes are signed here.
        return webhook('shop', body, signedShopBytes(body));
      },
      status: 400,
      code: 'malformed_json',
    },
    {
      name: 'webhook: signed JSON array instead of an object',
      send: () => signed('shop', '[1,2,3]'),
      status: 422,
      code: 'invalid_payload',
    },
    {
      name: 'webhook: body over the 1 MiB limit',
      send: () => signed('github', JSON.stringify({ pad: 'x'.repeat(1024 * 1024) })),
      status: 413,
      code: 'body_too_large',
    },
    {
      // The server reads the declared bytes only (their signature fails: logged as a 401) and
      // the rest of the body is parsed as a second, pipelined request, which the HTTP parser
      // answers at once with 400 before the handler's 401. Either way nothing is written.
      name: 'webhook: Content-Length 5 bytes short of the signed body',
      send: () => {
        const body = payload('github');
        return rawRequest(port, {
          path: '/v1/webhooks/github',
          headers: Object.entries(signedHeaders('github', body)),
          body,
          contentLength: body.length - 5,
        });
      },
      status: 400,
      code: 'malformed_request',
    },
    {
      name: 'jobs: invalid UTF-8 body',
      send: () =>
        job(Buffer.concat([Buffer.from('{"prompt":"'), Buffer.of(0xff, 0xfe), Buffer.from('"}')])),
      status: 400,
      code: 'malformed_json',
    },
    {
      name: 'jobs: UTF-16 body with BOM',
      send: () => job(Buffer.from(`\ufeff${validJob}`, 'utf16le')),
      status: 400,
      code: 'malformed_json',
    },
    {
      name: 'jobs: truncated JSON',
      send: () => job(validJob.slice(0, -3)),
      status: 400,
      code: 'malformed_json',
    },
    {
      name: 'jobs: empty body',
      send: () => job(''),
      status: 400,
      code: 'malformed_json',
    },
    {
      name: 'jobs: deeply nested JSON (100,000 levels)',
      send: () => job(deepArray(100_000)),
      status: 422,
      code: 'json_too_deep',
    },
    {
      name: 'jobs: deeply nested metadata',
      send: () => job(`{"prompt":"hi","metadata":{"a":${deepArray(10_000)}}}`),
      status: 422,
      code: 'json_too_deep',
    },
    {
      name: 'jobs: unknown field',
      send: () => job(JSON.stringify({ prompt: 'hi', __proto__x: 1 })),
      status: 422,
      code: 'invalid_job_submission',
    },
    {
      name: 'jobs: __proto__ key',
      send: () => job('{"prompt":"hi","__proto__":{"admin":true}}'),
      status: 422,
      code: 'invalid_job_submission',
    },
    {
      name: 'jobs: both prompt and messages',
      send: () => job(JSON.stringify({ prompt: 'a', messages: [{ role: 'user', content: 'b' }] })),
      status: 422,
      code: 'invalid_job_submission',
    },
    {
      name: 'jobs: body over the 1 MiB limit',
      send: () => job(JSON.stringify({ prompt: 'x'.repeat(1024 * 1024) })),
      status: 413,
      code: 'body_too_large',
    },
    // --- content types ---------------------------------------------------------------------
    {
      name: 'jobs: text/plain',
      send: () => job(validJob, { 'content-type': 'text/plain' }),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'jobs: application/x-www-form-urlencoded',
      send: () => job('prompt=hi', { 'content-type': 'application/x-www-form-urlencoded' }),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'jobs: application/jsonx (prefix lookalike)',
      send: () => job(validJob, { 'content-type': 'application/jsonx' }),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'jobs: no content type',
      send: () =>
        rawRequest(port, {
          path: '/v1/jobs',
          headers: [['authorization', bearer('acme')]],
          body: validJob,
        }),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'webhook: multipart/form-data',
      send: () =>
        signed('github', payload('github'), { 'content-type': 'multipart/form-data; boundary=x' }),
      status: 415,
      code: 'unsupported_media_type',
    },
    // --- header injection and HTTP framing -------------------------------------------------
    {
      name: 'header value with a bare CR (injection attempt)',
      send: () =>
        rawJob([
          ['authorization', bearer('acme')],
          ['correlation-id', 'abc\rX-Evil: 1'],
        ]),
      status: 400,
      code: 'malformed_request',
    },
    {
      name: 'header value with a bare LF (injection attempt)',
      send: () =>
        rawJob([
          ['authorization', bearer('acme')],
          ['idempotency-key', 'k\nX-Evil: 1'],
        ]),
      status: 400,
      code: 'malformed_request',
    },
    {
      name: 'header value with NUL',
      send: () =>
        rawJob([
          ['authorization', bearer('acme')],
          ['correlation-id', 'a\u0000b'],
        ]),
      status: 400,
      code: 'malformed_request',
    },
    {
      name: 'obs-fold continuation line',
      send: () =>
        rawJob([
          ['authorization', bearer('acme')],
          ['correlation-id', 'a\r\n folded'],
        ]),
      status: 400,
      code: 'malformed_request',
    },
    {
      name: 'Content-Length and Transfer-Encoding together (smuggling)',
      send: () =>
        rawRequest(port, {
          path: '/v1/jobs',
          headers: [
            ['authorization', bearer('acme')],
            ['content-type', 'application/json'],
            ['transfer-encoding', 'chunked'],
          ],
          body: `${validJob.length.toString(16)}\r\n${validJob}\r\n0\r\n\r\n`,
          contentLength: 4,
        }),
      status: 400,
      code: 'malformed_request',
    },
    {
      name: 'a 64 KiB header',
      send: () =>
        rawJob([
          ['authorization', bearer('acme')],
          ['x-pad', 'p'.repeat(64 * 1024)],
        ]),
      status: 431,
      code: 'headers_too_large',
    },
    // --- API keys --------------------------------------------------------------------------
    {
      name: 'jobs: no Authorization',
      send: () => rawJob([]),
      status: 401,
      code: 'invalid_api_key',
    },
    {
      name: 'jobs: unknown API key',
      send: () => job(validJob, { authorization: 'Bearer not-a-key-0123456789abcdef' }),
      status: 401,
      code: 'invalid_api_key',
    },
    {
      name: 'jobs: key with a trailing character',
      send: () => job(validJob, { authorization: `${bearer('acme')}x` }),
      status: 401,
      code: 'invalid_api_key',
    },
    {
      name: 'jobs: key as Basic credentials',
      send: () =>
        job(validJob, {
          authorization: `Basic ${Buffer.from(`acme:${API_KEY}`).toString('base64')}`,
        }),
      status: 401,
      code: 'invalid_api_key',
    },
    {
      name: 'jobs: key in the query string',
      send: () =>
        viaFetch(`/v1/jobs?api_key=${API_KEY}`, {
          headers: { 'content-type': 'application/json' },
          body: validJob,
        }),
      status: 401,
      code: 'invalid_api_key',
    },
    {
      name: 'jobs: Authorization sent twice (bad first)',
      send: () =>
        rawJob([
          ['authorization', 'Bearer not-a-key-0123456789abcdef'],
          ['authorization', bearer('acme')],
        ]),
      status: 401,
      code: 'invalid_api_key',
    },
    {
      name: 'jobs: a 100 KiB bearer token',
      send: () => job(validJob, { authorization: `Bearer ${'k'.repeat(100 * 1024)}` }),
      status: 431,
      code: 'headers_too_large',
    },
    {
      name: 'GET /v1/jobs/:id with an unknown API key',
      send: () =>
        viaFetch(`/v1/jobs/${'A'.repeat(43)}`, {
          method: 'GET',
          headers: { authorization: 'Bearer not-a-key-0123456789abcdef' },
        }),
      status: 401,
      code: 'invalid_api_key',
    },
    {
      name: 'stream with a forged token',
      send: () =>
        viaFetch(`/v1/jobs/${'A'.repeat(43)}/stream?token=v1.acme.1.9999999999.${'A'.repeat(43)}`, {
          method: 'GET',
        }),
      status: 401,
      code: 'invalid_stream_token',
    },
    // --- Idempotency-Key -------------------------------------------------------------------
    {
      name: 'Idempotency-Key: empty',
      send: () =>
        rawJob([
          ['authorization', bearer('acme')],
          ['idempotency-key', ''],
        ]),
      status: 400,
      code: 'invalid_idempotency_key',
    },
    {
      name: 'Idempotency-Key: empty quoted string',
      send: () => job(validJob, { 'idempotency-key': '""' }),
      status: 400,
      code: 'invalid_idempotency_key',
    },
    {
      name: 'Idempotency-Key: 181 characters',
      send: () => job(validJob, { 'idempotency-key': 'k'.repeat(181) }),
      status: 400,
      code: 'invalid_idempotency_key',
    },
    {
      name: 'Idempotency-Key sent twice (same value)',
      send: () =>
        rawJob([
          ['authorization', bearer('acme')],
          ['idempotency-key', 'order-1'],
          ['idempotency-key', 'order-1'],
        ]),
      status: 400,
      code: 'invalid_idempotency_key',
    },
    {
      name: 'Idempotency-Key sent twice (two values)',
      send: () =>
        rawJob([
          ['authorization', bearer('acme')],
          ['idempotency-key', 'order-1'],
          ['idempotency-key', 'order-2'],
        ]),
      status: 400,
      code: 'invalid_idempotency_key',
    },
    {
      name: 'Idempotency-Key: a tab inside',
      send: () =>
        rawJob([
          ['authorization', bearer('acme')],
          ['idempotency-key', 'a\tb'],
        ]),
      status: 400,
      code: 'invalid_idempotency_key',
    },
    {
      name: 'Idempotency-Key: raw non-ASCII bytes',
      send: () =>
        rawJob([
          ['authorization', bearer('acme')],
          ['idempotency-key', Buffer.from('clé-ü', 'utf8').toString('latin1')],
        ]),
      status: 400,
      code: 'invalid_idempotency_key',
    },
    // --- unknown sources and routes --------------------------------------------------------
    {
      name: 'unknown webhook source',
      send: () => webhook('nope', '{}', { 'content-type': 'application/json' }),
      status: 404,
      code: 'unknown_source',
    },
    {
      name: 'webhook source __proto__',
      send: () => webhook('__proto__', '{}', { 'content-type': 'application/json' }),
      status: 404,
      code: 'unknown_source',
    },
    {
      name: 'webhook source with an encoded path traversal',
      send: () => webhook('..%2F..%2Fjobs', validJob, { 'content-type': 'application/json' }),
      status: 404,
      code: 'unknown_source',
    },
    {
      name: 'webhook source differing only in case',
      send: () => {
        const body = payload('github');
        return webhook('GitHub', body, signedHeaders('github', body));
      },
      status: 404,
      code: 'unknown_source',
    },
    {
      name: 'webhook path with an extra segment',
      send: () => {
        const body = payload('github');
        return webhook('github/extra', body, signedHeaders('github', body));
      },
      status: 404,
      code: 'not_found',
    },
    {
      name: 'webhook without a source',
      send: () =>
        viaFetch('/v1/webhooks/', { headers: { 'content-type': 'application/json' }, body: '{}' }),
      status: 404,
      code: 'unknown_source',
    },
    {
      name: 'PUT /v1/jobs',
      send: () =>
        viaFetch('/v1/jobs', {
          method: 'PUT',
          headers: { authorization: bearer('acme'), 'content-type': 'application/json' },
          body: validJob,
        }),
      status: 404,
      code: 'not_found',
    },
    {
      name: 'POST /v1/jobs/:id',
      send: () =>
        viaFetch('/v1/jobs/abc', {
          headers: { authorization: bearer('acme'), 'content-type': 'application/json' },
          body: validJob,
        }),
      status: 404,
      code: 'not_found',
    },
  ];

  it('has at least 50 rows', () => {
    expect(rows.length).toBeGreaterThanOrEqual(50);
  });

  it.each(rows.map((row) => [row.name, row] as const))(
    '%s',
    async (_name, row) => {
      const before = await endOffsets();
      const res = await row.send();
      expect({ status: res.status, body: res.body.slice(0, 300) }).toEqual({
        status: row.status,
        body: expect.any(String),
      });
      expect(res.contentType).toContain(PROBLEM_CONTENT_TYPE);
      const problem = JSON.parse(res.body) as { status: number; code: string; type: string };
      expect(problem).toMatchObject({ type: 'about:blank', status: row.status, code: row.code });
      expect(await endOffsets()).toBe(before);
    },
    30_000,
  );

  // A deeply nested signed payload is refused before anything reads it (it used to be a 413 from
  // the prompt's pretty-printed JSON, or a 500 once JSON.stringify overflowed the stack).
  it.each([100, 1_000, 5_000, 20_000])(
    'webhook: a signed payload nested %d levels is refused with 422 json_too_deep and writes nothing',
    async (depth) => {
      const before = await endOffsets();
      const res = await signed('shop', `{"topic":"orders/create","order":${deepArray(depth)}}`);
      expect(res.status).toBe(422);
      expect(res.contentType).toContain(PROBLEM_CONTENT_TYPE);
      expect(res.body).toContain('json_too_deep');
      expect(await endOffsets()).toBe(before);
      expect((await fetch(`${harness.ingest.url}/healthz`)).status).toBe(200);
    },
    30_000,
  );

  it('stays healthy and ready, and still accepts a valid request, with nothing else written', async () => {
    const before = await endOffsets();
    const countBefore = await harness.count(harness.names.events);
    const health = await fetch(`${harness.ingest.url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${harness.ingest.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await endOffsets()).toBe(before);

    const accepted = await job(validJob, { 'idempotency-key': 'hostile-final' });
    expect(accepted.status).toBe(202);
    const body = payload('github');
    const hook = await webhook('github', body, signedHeaders('github', body));
    expect(hook.status).toBe(202);
    expect(await harness.count(harness.names.events)).toBe(countBefore + 2);
  });
});
