import { createHmac } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import { UsageError } from '../errors.ts';
import { buildWebhookRequest, schemeForSource } from './provider-request.ts';

const NOW = Date.parse('2025-01-15T10:00:00Z');
const now = () => NOW;
const T = String(NOW / 1000);
// A Standard Webhooks secret: whsec_ + base64 of the key bytes.
const KEY = Buffer.from('0123456789abcdef0123456789abcdef');
const WHSEC = `whsec_${KEY.toString('base64')}`;

const hmacHex = (key: string | Buffer, text: string | Buffer) =>
  createHmac('sha256', key).update(text).digest('hex');

describe('webhook requests as the provider sends them', () => {
  it('GitHub: the body is signed as sha256=<hex>, with the event and a delivery id', () => {
    const body = Buffer.from('{"action":"opened","number":7}');
    const request = buildWebhookRequest({
      scheme: 'github',
      event: 'pull_request',
      body,
      secrets: ['gh-secret'],
      id: 'delivery-1',
      now,
    });
    expect(request.body).toBe(body);
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'x-github-event': 'pull_request',
      'x-github-delivery': 'delivery-1',
      'x-hub-signature-256': `sha256=${hmacHex('gh-secret', body)}`,
    });
    expect(request.headers['user-agent']).toMatch(/^GitHub-Hookshot\//);
    expect(request.deliveryId).toBe('delivery-1');
  });

  it('GitHub without a payload sends a realistic pull_request and a fresh delivery id each time', () => {
    const a = buildWebhookRequest({ scheme: 'github', secrets: ['s'], now });
    const b = buildWebhookRequest({ scheme: 'github', secrets: ['s'], now });
    const payload = JSON.parse(a.body.toString()) as {
      action: string;
      pull_request: { title: string };
      repository: { full_name: string };
    };
    expect(a.event).toBe('pull_request');
    expect(payload.action).toBe('opened');
    expect(payload.pull_request.title).toEqual(expect.any(String));
    expect(payload.repository.full_name).toBe('acme/payments-service');
    expect(a.deliveryId).not.toBe(b.deliveryId);
  });

  it('GitHub needs the event when a file is given (it is a header only)', () => {
    expect(() =>
      buildWebhookRequest({ scheme: 'github', body: Buffer.from('{}'), secrets: ['s'], now }),
    ).toThrow(/--event is required/);
  });

  it('Stripe: t=<time>,v1=<hex of "t.body"> with the whole whsec_ string as key', () => {
    const body = Buffer.from('{"id":"evt_123","type":"invoice.paid"}');
    const request = buildWebhookRequest({ scheme: 'stripe', body, secrets: [WHSEC], now });
    expect(request.headers['stripe-signature']).toBe(
      `t=${T},v1=${hmacHex(WHSEC, `${T}.${body.toString()}`)}`,
    );
    expect(request.deliveryId).toBe('evt_123');
    expect(request.event).toBe('invoice.paid');
  });

  it('Stripe: an --event that contradicts the payload type is refused', () => {
    const body = Buffer.from('{"id":"evt_123","type":"invoice.paid"}');
    expect(() =>
      buildWebhookRequest({
        scheme: 'stripe',
        body,
        event: 'charge.refunded',
        secrets: ['s'],
        now,
      }),
    ).toThrow(UsageError);
  });

  it('Standard Webhooks: v1,<base64 of HMAC("id.timestamp.body")> with the decoded key', () => {
    const body = Buffer.from('{"type":"invoice.paid","data":{}}');
    const request = buildWebhookRequest({
      scheme: 'standard-webhooks',
      body,
      secrets: [WHSEC],
      id: 'msg_1',
      now,
    });
    const expected = createHmac('sha256', KEY)
      .update(`msg_1.${T}.${body.toString()}`)
      .digest('base64');
    expect(request.headers).toMatchObject({
      'webhook-id': 'msg_1',
      'webhook-timestamp': T,
      'webhook-signature': `v1,${expected}`,
    });
  });

  it('several secrets give one signature each (rotation)', () => {
    const other = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const request = buildWebhookRequest({
      scheme: 'standard-webhooks',
      event: 'x.y',
      secrets: [WHSEC, other],
      now,
    });
    expect(request.headers['webhook-signature']?.split(' ')).toHaveLength(2);
  });

  it("Anthropic: an event the SDK's beta.webhooks.unwrap() accepts, its id as webhook-id", () => {
    const request = buildWebhookRequest({
      scheme: 'anthropic',
      event: 'session.idled',
      secrets: [WHSEC],
      now: Date.now, // the SDK checks the timestamp against the real clock
    });
    const client = new Anthropic({ apiKey: 'test-key' });
    const event = client.beta.webhooks.unwrap(request.body.toString(), {
      headers: request.headers,
      key: WHSEC,
    });
    expect(event.type).toBe('event');
    expect(event.data.type).toBe('session.idled');
    expect(request.headers['webhook-id']).toBe(event.id);
  });

  it('generic HMAC: the configured header, prefix and encoding', () => {
    const body = Buffer.from('{"type":"ping"}');
    const request = buildWebhookRequest({
      scheme: 'hmac',
      body,
      secrets: ['k'],
      hmac: { header: 'X-Signature', prefix: 'sha256=', encoding: 'hex' },
      extraHeaders: { 'x-event': 'ping' },
      now,
    });
    expect(request.headers['x-signature']).toBe(`sha256=${hmacHex('k', body)}`);
    expect(request.headers['x-event']).toBe('ping');
  });

  it('unsigned requests carry no signature; signed ones need a secret', () => {
    const unsigned = buildWebhookRequest({ scheme: 'github', secrets: [], unsigned: true, now });
    expect(unsigned.headers['x-hub-signature-256']).toBeUndefined();
    expect(() => buildWebhookRequest({ scheme: 'github', secrets: [], now })).toThrow(
      'no signing secret',
    );
  });

  it('a source named after a provider uses its scheme; any other Standard Webhooks', () => {
    expect(schemeForSource('github')).toBe('github');
    expect(schemeForSource('stripe')).toBe('stripe');
    expect(schemeForSource('anthropic')).toBe('anthropic');
    expect(schemeForSource('billing')).toBe('standard-webhooks');
  });
});
