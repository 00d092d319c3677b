import { createSigner, generateStandardWebhookSecret } from '@claude-pipeline/signing';
import { startCallbackSink, type CallbackSink } from '../src/index.ts';

describe('callback sink', () => {
  const oldSecret = generateStandardWebhookSecret();
  const newSecret = generateStandardWebhookSecret();
  let sink: CallbackSink;

  afterEach(async () => sink.close());

  async function post(secrets: string[], id: string, body: string) {
    const headers = createSigner({ scheme: 'standard-webhooks', secrets }).sign(body, {
      id,
      timestamp: Math.floor(Date.now() / 1000),
    });
    return fetch(sink.url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    });
  }

  it('records verified deliveries, answers as told, and rejects bad signatures', async () => {
    sink = await startCallbackSink({
      secrets: [newSecret],
      respond: (_d, attempt) => (attempt < 3 ? 500 : 200),
    });
    expect((await post([newSecret], 'msg_1', '{"a":1}')).status).toBe(500);
    expect((await post([newSecret], 'msg_1', '{"a":1}')).status).toBe(500);
    expect((await post([newSecret], 'msg_1', '{"a":1}')).status).toBe(200);
    expect(sink.attempts('msg_1')).toBe(3);
    expect(sink.deliveries.map((d) => d.status)).toEqual([500, 500, 200]);
    expect(sink.deliveries[2]!.json).toEqual({ a: 1 });

    expect((await post([oldSecret], 'msg_2', '{}')).status).toBe(401);
    expect(sink.rejections).toHaveLength(1);
    expect(sink.rejections[0]!.reason).toBe('bad_signature');
  });

  it('verifies a delivery signed with several secrets when it knows only one of them', async () => {
    sink = await startCallbackSink({ secrets: [oldSecret] });
    expect((await post([oldSecret, newSecret], 'msg_3', '{}')).status).toBe(200);
    expect(sink.deliveries[0]!.secretIndex).toBe(0);
  });
});
