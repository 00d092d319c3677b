import { buildTestServer, type TestServer } from '../../test/server-fixture.ts';

describe('health endpoints', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await buildTestServer();
  });
  afterEach(() => server.app.close());

  it('/healthz answers 200 while the process serves', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz answers 200 when ready and 503 with the failing check otherwise', async () => {
    expect((await server.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    server.readiness.report = {
      ready: false,
      checks: {
        kafka: { ok: false, detail: 'no answer within 2000 ms' },
        topics: { ok: false },
        status_view: { ok: true },
      },
    };
    const res = await server.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'not_ready', checks: { kafka: { ok: false } } });
  });

  it('/metrics serves the Prometheus text format with the service label', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('service="ingest"');
  });

  it('answers unknown paths with a problem', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });
});
