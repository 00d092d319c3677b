import Anthropic from '@anthropic-ai/sdk';
import { createSigner, generateStandardWebhookSecret } from '@claude-pipeline/signing';
import { Webhook } from 'standardwebhooks';
import { parseSources } from '../config/sources.config.ts';
import { createWebhookSource, type WebhookSource } from './webhook-source.ts';

/**
 * Anthropic's webhooks follow Standard Webhooks, and the `anthropic` scheme verifies them with
 * libs/signing. These tests prove it agrees with the SDK's `beta.webhooks.unwrap()` (and with
 * the `standardwebhooks` package the SDK uses) in both directions.
 */
describe('anthropic scheme', () => {
  const secret = generateStandardWebhookSecret();
  let source: WebhookSource;
  beforeAll(() => {
    const [config] = parseSources(
      JSON.stringify({
        sources: {
          anthropic: {
            tenant: 'acme',
            scheme: 'anthropic',
            secret_env: 'ANTHROPIC_HOOKS',
            routes: { 'session.idled': { instruction: 'x' } },
          },
        },
      }),
      { ANTHROPIC_HOOKS: secret },
      'test',
    );
    source = createWebhookSource(config!);
  });

  const event = JSON.stringify({
    id: 'wevt_01',
    type: 'event',
    created_at: new Date().toISOString(),
    data: { type: 'session.idled', id: 'sesn_01', organization_id: 'o', workspace_id: 'w' },
  });

  it('what our signer signs, the SDK unwrap() accepts, and so do we', () => {
    const headers = createSigner({ scheme: 'standard-webhooks', secrets: [secret] }).sign(event, {
      id: 'msg_1',
    });
    const client = new Anthropic({ apiKey: 'unused', webhookKey: secret });
    expect(client.beta.webhooks.unwrap(event, { headers }).id).toBe('wevt_01');
    expect(source.verify(Buffer.from(event), headers)).toMatchObject({ id: 'msg_1' });
  });

  it('what the SDK’s standardwebhooks signs, we accept', () => {
    const timestamp = new Date();
    const signature = new Webhook(secret).sign('msg_2', timestamp, event);
    const headers = {
      'webhook-id': 'msg_2',
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': signature,
    };
    expect(source.verify(Buffer.from(event), headers).id).toBe('msg_2');
  });

  it('a signature the SDK rejects, we reject too', () => {
    const headers = createSigner({
      scheme: 'standard-webhooks',
      secrets: [generateStandardWebhookSecret()],
    }).sign(event, { id: 'msg_3' });
    const client = new Anthropic({ apiKey: 'unused', webhookKey: secret });
    expect(() => client.beta.webhooks.unwrap(event, { headers })).toThrow();
    expect(() => source.verify(Buffer.from(event), headers)).toThrow(/bad_signature/);
  });

  it('reads the event type from data.type and the delivery id from webhook-id', () => {
    const payload = JSON.parse(event) as unknown;
    expect(source.eventType({}, payload)).toBe('session.idled');
    expect(source.deliveryId({ 'webhook-id': 'msg_4' }, payload)).toBe('msg_4');
    expect(source.route('session.idled')).toBeDefined();
    expect(source.route('session.created')).toBeUndefined();
  });
});
