import { createHmac } from 'node:crypto';
import {
  sampleFailedResult,
  sampleSucceededResult,
  SAMPLE_TRACEPARENT,
} from '@claude-pipeline/schemas/testing';
import { contracts, decode } from '@claude-pipeline/schemas';
import { createSigner, generateStandardWebhookSecret } from '@claude-pipeline/signing';
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

  it('signs exactly as the signing lib does (ids, timestamps, bodies, one to three secrets)', () => {
    const bodies = ['', '{}', 'ü€ — \u0000 {"a":1}', 'x'.repeat(5000)];
    for (let n = 1; n <= 3; n += 1) {
      const secrets = Array.from({ length: n }, () => generateStandardWebhookSecret());
      // Bare base64 (no `whsec_`) is a valid secret too.
      secrets[n - 1] = secrets[n - 1]!.slice('whsec_'.length);
      const t = 1_736_935_200_000 + n * 1_234;
      const ours = createTenantSigners(new Map([['acme', secrets]]), () => t).signerFor('acme')!;
      const lib = createSigner({ scheme: 'standard-webhooks', secrets, now: () => t });
      for (const body of bodies) {
        for (const options of [{ id: `msg_${n}.2` }, { id: 'a', timestamp: 42 }]) {
          expect(ours.sign(body, options)).toEqual(lib.sign(body, options));
          expect(ours.sign(Buffer.from(body), options)).toEqual(
            lib.sign(Buffer.from(body), options),
          );
        }
      }
      for (const bad of [
        {},
        { id: 'has space' },
        { id: 'x', timestamp: -1 },
        { id: 'x', timestamp: 1.5 },
      ]) {
        expect(() => ours.sign('{}', bad)).toThrow(RangeError);
        expect(() => lib.sign('{}', bad)).toThrow(RangeError);
      }
    }
  });

  it('refuses an invalid secret when the signers are built', () => {
    expect(() => createTenantSigners(new Map([['acme', ['whsec_not base64!']]]))).toThrow(
      /secrets\[0\]/,
    );
  });

  it('has no signer for a tenant without secrets', () => {
    expect(createTenantSigners(new Map()).signerFor('acme')).toBeUndefined();
  });
});
