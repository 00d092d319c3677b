import { isSecretName, MAX_REDACTION_DEPTH, REDACTED, redactSecrets } from './redact.ts';

describe('isSecretName', () => {
  it.each([
    'webhook-signature',
    'x-hub-signature-256',
    'stripe-signature',
    'x-api-key',
    'authorization',
    'Authorization',
    'anthropic-api-key',
    'apiKey',
    'api_key',
    'ANTHROPIC_API_KEY',
    'webhookSecret',
    'client_secret',
    'secrets',
    'password',
    'KAFKA_SASL_PASSWORD',
    'cookie',
    'set-cookie',
    'access_token',
  ])('%s is a secret', (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  it.each(['max_tokens', 'input_tokens', 'key', 'jobId', 'content-type', 'tenant', 'webhook-id'])(
    '%s is not a secret',
    (name) => {
      expect(isSecretName(name)).toBe(false);
    },
  );
});

describe('redactSecrets on strings', () => {
  it('replaces a Standard Webhooks secret anywhere in text', () => {
    expect(redactSecrets('secret is whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, ok')).toBe(
      `secret is whsec_${REDACTED}, ok`,
    );
  });

  it('replaces an Anthropic API key anywhere in text', () => {
    expect(redactSecrets('using sk-ant-api03-AbC_12-xyz for the call')).toBe(
      `using sk-ant-${REDACTED} for the call`,
    );
  });

  it('replaces a bearer credential', () => {
    expect(redactSecrets('sent Bearer eyJhbGciOi.J9.abc-_= to the API')).toBe(
      `sent Bearer ${REDACTED} to the API`,
    );
  });

  it('replaces values of secret-named pairs in stringified headers and configs', () => {
    expect(redactSecrets('x-api-key: abc123')).toBe(`x-api-key: ${REDACTED}`);
    expect(redactSecrets('{"password":"hunter2","user":"bob"}')).toBe(
      `{"password":"${REDACTED}","user":"bob"}`,
    );
    expect(redactSecrets('Authorization: Basic dXNlcjpwYXNz')).toBe(`Authorization: ${REDACTED}`);
    expect(redactSecrets('client_secret=s3cr3t&x=1')).toBe(`client_secret=${REDACTED}&x=1`);
  });

  it('replaces secret query parameters and URL passwords, keeping the rest of the URL', () => {
    expect(redactSecrets('POST https://hooks.example.com/cb?token=t0k&job=42')).toBe(
      `POST https://hooks.example.com/cb?token=${REDACTED}&job=42`,
    );
    expect(redactSecrets('https://maps.example.com/?key=AIzaXYZ')).toBe(
      `https://maps.example.com/?key=${REDACTED}`,
    );
    expect(redactSecrets('amqp://user:pa55@mq.local:5672/')).toBe(
      `amqp://user:${REDACTED}@mq.local:5672/`,
    );
  });

  it('leaves ordinary text, ports and usage numbers alone', () => {
    const text = 'GET http://127.0.0.1:4318/v1/traces?limit=5 max_tokens: 1024 key=job-1';
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('redactSecrets on values', () => {
  it('replaces every secret field of a headers object', () => {
    const headers = {
      'webhook-signature': 'v1,abc',
      'x-hub-signature-256': 'sha256=abc',
      'stripe-signature': 't=1,v1=abc',
      'x-api-key': 'k',
      authorization: 'Bearer t',
      'anthropic-api-key': 'sk-ant-x',
      'content-type': 'application/json',
      'webhook-id': 'msg_1',
    };
    expect(redactSecrets(headers)).toEqual({
      'webhook-signature': REDACTED,
      'x-hub-signature-256': REDACTED,
      'stripe-signature': REDACTED,
      'x-api-key': REDACTED,
      authorization: REDACTED,
      'anthropic-api-key': REDACTED,
      'content-type': 'application/json',
      'webhook-id': 'msg_1',
    });
  });

  it('finds secret fields at any depth and inside arrays', () => {
    const value = {
      tenant: 't1',
      config: { sources: [{ name: 'gh', webhookSecret: 'x' }], apiKey: 'y', api_key: 'z' },
      deep: { a: { b: { c: { d: { e: { password: 'p' } } } } } },
    };
    expect(redactSecrets(value)).toEqual({
      tenant: 't1',
      config: {
        sources: [{ name: 'gh', webhookSecret: REDACTED }],
        apiKey: REDACTED,
        api_key: REDACTED,
      },
      deep: { a: { b: { c: { d: { e: { password: REDACTED } } } } } },
    });
  });

  it('replaces a whole secret-named subtree, e.g. a list of rotating secrets', () => {
    expect(redactSecrets({ secrets: ['whsec_a', 'whsec_b'] })).toEqual({ secrets: REDACTED });
  });

  it('keeps empty secret fields visible, so a missing header can be diagnosed', () => {
    expect(redactSecrets({ authorization: undefined, 'x-api-key': '' })).toEqual({
      authorization: undefined,
      'x-api-key': '',
    });
  });

  it('redacts header values in rawHeaders and [name, value] tuples', () => {
    expect(redactSecrets(['X-Api-Key', 'k1', 'Accept', '*/*'])).toEqual([
      'X-Api-Key',
      REDACTED,
      'Accept',
      '*/*',
    ]);
    expect(redactSecrets([['stripe-signature', 't=1,v1=x']])).toEqual([
      ['stripe-signature', REDACTED],
    ]);
  });

  it('scrubs tokens in string values of innocent fields', () => {
    expect(redactSecrets({ note: 'key sk-ant-abc', list: ['Bearer x'] })).toEqual({
      note: `key sk-ant-${REDACTED}`,
      list: [`Bearer ${REDACTED}`],
    });
  });

  it('never mutates its input and returns it as is when nothing is secret', () => {
    const input = { headers: { authorization: 'Bearer t' }, ok: { n: 1 } };
    const output = redactSecrets(input) as typeof input;
    expect(input.headers.authorization).toBe('Bearer t');
    expect(output.ok).toBe(input.ok);
    const clean = { a: [1, 'two'], b: { c: true } };
    expect(redactSecrets(clean)).toBe(clean);
  });

  it('turns errors into their logged shape with redacted message, stack, fields and cause', () => {
    const cause = new Error('upstream said Bearer abc');
    const error = Object.assign(new TypeError('bad key sk-ant-123', { cause }), {
      apiKey: 'k',
      status: 401,
    });
    const shape = redactSecrets(error) as Record<string, unknown>;
    expect(shape['type']).toBe('TypeError');
    expect(shape['message']).toBe(`bad key sk-ant-${REDACTED}`);
    expect(shape['stack']).toContain(`sk-ant-${REDACTED}`);
    expect(shape['apiKey']).toBe(REDACTED);
    expect(shape['status']).toBe(401);
    expect((shape['cause'] as Record<string, unknown>)['message']).toBe(
      `upstream said Bearer ${REDACTED}`,
    );
  });

  it('redacts URLs to their href', () => {
    expect(redactSecrets({ url: new URL('https://x.test/cb?sig=abc') })).toEqual({
      url: `https://x.test/cb?sig=${REDACTED}`,
    });
  });

  it('survives cycles and absurd depth', () => {
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic['self'] = cyclic;
    expect(redactSecrets(cyclic)).toEqual({ name: 'a', self: '[Circular]' });

    let deep: Record<string, unknown> = { password: 'p' };
    for (let i = 0; i < MAX_REDACTION_DEPTH + 5; i++) deep = { next: deep };
    expect(JSON.stringify(redactSecrets(deep))).not.toContain('"p"');
  });

  it('leaves binary data, dates and primitives untouched', () => {
    const buffer = Buffer.from('sk-ant-raw');
    const date = new Date(0);
    expect(redactSecrets(buffer)).toBe(buffer);
    expect(redactSecrets(date)).toBe(date);
    expect(redactSecrets(42)).toBe(42);
    expect(redactSecrets(null)).toBeNull();
  });
});

describe('redactSecrets and class instances', () => {
  it('walks null-prototype objects like plain ones', () => {
    const headers = Object.assign(Object.create(null) as Record<string, string>, {
      authorization: 'Bearer t',
    });
    expect(redactSecrets(headers)).toEqual({ authorization: REDACTED });
  });

  it('returns other class instances untouched, for their serializer to shape', () => {
    class Request {
      raw = { headers: { authorization: 'Bearer t' } };
      method() {
        return 'GET';
      }
    }
    const logged = { req: new Request() };
    expect(redactSecrets(logged)).toBe(logged);
  });
});
