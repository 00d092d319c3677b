import { callbackFromResult } from '@claude-pipeline/schemas';
import { sampleFailedResult, sampleSucceededResult } from '@claude-pipeline/schemas/testing';
import { createSigner, generateStandardWebhookSecret } from '@claude-pipeline/signing';
import { waitFor } from '@claude-pipeline/testing';
import { startCapture } from './support/capture-io.ts';

/** `pipeline listen` as a callback receiver: signed, unsigned and forged deliveries. */
const SECRET = generateStandardWebhookSecret();
const OTHER = generateStandardWebhookSecret();

async function ready(err: { text: string }): Promise<string> {
  return waitFor(() => /Listening on (http:\/\/\S+)/.exec(err.text)?.[1], {
    description: 'the ready line',
  });
}

function signed(secret: string, body: string, id: string) {
  return createSigner({ scheme: 'standard-webhooks', secrets: [secret] }).sign(body, { id });
}

describe('pipeline listen', () => {
  it('answers 200 to a signed callback and prints it; 401 with the reason otherwise', async () => {
    const listen = startCapture(['listen', '--port', '0', '--secret', SECRET]);
    try {
      const url = await ready(listen.err);
      expect(listen.err.text).toContain('verifying standard-webhooks signatures');
      const result = sampleSucceededResult({ job_id: 'job_42' });
      const body = JSON.stringify(callbackFromResult(result));

      const good = await fetch(`${url}/hook`, {
        method: 'POST',
        headers: { ...signed(SECRET, body, 'job_42.1'), 'content-type': 'application/json' },
        body,
      });
      expect(good.status).toBe(200);

      const unsigned = await fetch(`${url}/hook`, { method: 'POST', body });
      expect(unsigned.status).toBe(401);
      expect(((await unsigned.json()) as { code: string }).code).toBe('missing_header');

      const forged = await fetch(`${url}/hook`, {
        method: 'POST',
        headers: signed(OTHER, body, 'job_42.1'),
        body,
      });
      expect(forged.status).toBe(401);

      const tampered = await fetch(`${url}/hook`, {
        method: 'POST',
        headers: signed(SECRET, body, 'job_42.1'),
        body: body.replace('job_42', 'job_43'),
      });
      expect(tampered.status).toBe(401);

      // The notifier may deliver twice after a crash: same webhook-id, marked as a repeat.
      const again = await fetch(`${url}/hook`, {
        method: 'POST',
        headers: signed(SECRET, body, 'job_42.1'),
        body,
      });
      expect(again.status).toBe(200);

      await waitFor(
        () => listen.out.text.split('\n').filter((l) => /^\d{4}-/.test(l)).length === 5,
        {
          description: '5 printed requests',
        },
      );
      const lines = listen.out.text.split('\n');
      expect(lines[0]).toMatch(
        /✓ job\.succeeded {2}job job_42 generation 1 {2}webhook-id job_42\.1 {2}→ 200$/,
      );
      expect(lines[2]).toContain('The changelog adds retries.');
      expect(listen.out.text).toMatch(/✗ POST \/hook {2}→ 401 {2}rejected: missing_header/);
      expect(listen.out.text.match(/rejected: bad_signature/g)).toHaveLength(2);
      expect(listen.out.text).toContain('(repeat #2)');
      expect(listen.out.text + listen.err.text).not.toContain(SECRET);
    } finally {
      expect(await listen.stop()).toBe(0);
    }
  });

  it('--json prints one object per request; --status chooses the answer', async () => {
    const listen = startCapture(['listen', '--port', '0', '--status', '503', '--json'], {
      env: { PIPELINE_CALLBACK_SECRET: `${OTHER},${SECRET}` }, // rotation: either verifies
    });
    try {
      const url = await ready(listen.err);
      const body = JSON.stringify(callbackFromResult(sampleFailedResult({ job_id: 'job_7' })));
      const answer = await fetch(url, {
        method: 'POST',
        headers: signed(SECRET, body, 'job_7.1'),
        body,
      });
      expect(answer.status).toBe(503);
      const notPost = await fetch(url);
      expect(notPost.status).toBe(405);
      await waitFor(() => listen.out.jsonLines.length === 2, { description: '2 JSON lines' });
      expect(listen.out.jsonLines[0]).toMatchObject({
        status: 503,
        verified: true,
        webhook_id: 'job_7.1',
        type: 'job.failed',
        job_id: 'job_7',
        generation: 1,
        seen: 1,
      });
      expect(listen.out.jsonLines[1]).toMatchObject({ status: 405, verified: false });
    } finally {
      await listen.stop();
    }
  });

  it('--skip-verify accepts anything and says it did not verify', async () => {
    const listen = startCapture(['listen', '--port', '0', '--skip-verify']);
    try {
      const url = await ready(listen.err);
      expect(listen.err.text).toContain('NOT verifying');
      const answer = await fetch(url, { method: 'POST', body: '{"hello":"world"}' });
      expect(answer.status).toBe(200);
      await waitFor(() => listen.out.text.includes('signature NOT verified'));
      expect(listen.out.text).toContain('not a callback payload');
    } finally {
      await listen.stop();
    }
  });

  it('a port in use is a clear failure', async () => {
    const first = startCapture(['listen', '--port', '0', '--skip-verify']);
    try {
      const url = await ready(first.err);
      const port = new URL(url).port;
      const second = startCapture(['listen', '--port', port, '--skip-verify']);
      expect(await second.done).toBe(1);
      expect(second.err.text).toContain('EADDRINUSE');
    } finally {
      await first.stop();
    }
  });
});
