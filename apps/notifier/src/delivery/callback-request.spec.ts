import { createHmac } from 'node:crypto';
import {
  sampleFailedResult,
  sampleSucceededResult,
  SAMPLE_TRACEPARENT,
} from '@claude-pipeline/schemas/testing';
import { contracts, decode } from '@claude-pipeline/schemas';
import { generateStandardWebhookSecret } from '@claude-pipeline/signing';
import { callbackHeaders, callbackMessage, createTenantSigners } from './callback-request.ts';

/** Expected signature computed here, independently of the signing lib. */
function expectedSignature(secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
}

describe('callback request', () => {
  const result = {
    ...sampleSucceededResult({ generation: 3 }),
    callback: { url: 'https://h.example/cb' },
  };

  it('has a webhook-id stable per job and generation, and the payload as its body', () => {
    const message = callbackMessage(result);
    expect(message.webhookId).toBe('acme_5f2b9c1e7d.3');
    const payload = decode(contracts.callbackPayload, message.body);
    expect(payload).toMatchObject({
      type: 'job.succeeded',
      data: { job_id: result.job_id, generation: 3 },
    });
    expect(callbackMessage(sampleFailedResult()).body).toContain('"type":"job.failed"');
  });

  it('signs with every secret of the tenant, and carries correlation and trace', () => {
    const [newer, older] = [generateStandardWebhookSecret(), generateStandardWebhookSecret()];
    const t = 1_736_935_200_000;
    const signer = createTenantSigners(new Map([['acme', [newer, older]]]), () => t).signerFor(
      'acme',
    )!;
    const message = callbackMessage(result);
    const headers = callbackHeaders(message, signer, result, {
      traceparent: Buffer.from(SAMPLE_TRACEPARENT),
    });
    expect(headers).toMatchObject({
      'content-type': 'application/json',
      'webhook-id': message.webhookId,
      'webhook-timestamp': String(t / 1000),
      'correlation-id': result.correlation_id,
      traceparent: SAMPLE_TRACEPARENT,
    });
    expect(headers['webhook-signature']).toBe(
      [newer, older]
        .map((s) => `v1,${expectedSignature(s, message.webhookId, String(t / 1000), message.body)}`)
        .join(' '),
    );
  });

  it('has no signer for a tenant without secrets', () => {
    expect(createTenantSigners(new Map()).signerFor('acme')).toBeUndefined();
  });
});
