import { createHash } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildTestServer } from '../../test/server-fixture.ts';
import { registerDevRoutes } from './dev.routes.ts';

const inlined = (html: string, tag: 'script' | 'style'): string[] =>
  [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1] ?? '');
const hashOf = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64');

describe('dev stream page', () => {
  let app: FastifyInstance;
  beforeEach(async () => {
    app = Fastify();
    registerDevRoutes(app);
    await app.ready();
  });
  afterEach(() => app.close());

  it('serves an HTML page whose CSP allows exactly its own inline script and style', async () => {
    const res = await app.inject({ method: 'GET', url: '/dev/stream' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const scripts = inlined(res.body, 'script');
    const styles = inlined(res.body, 'style');
    expect(scripts).toHaveLength(1);
    expect(styles).toHaveLength(1);
    expect(csp).toContain(`script-src 'sha256-${hashOf(scripts[0] ?? '')}'`);
    expect(csp).toContain(`style-src 'sha256-${hashOf(styles[0] ?? '')}'`);
  });

  it('loads nothing from elsewhere and writes no HTML from the stream', async () => {
    const { body, headers } = await app.inject({ method: 'GET', url: '/dev/stream' });
    expect(body).not.toMatch(/\b(src|href)=/);
    expect(body).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    expect(body).toContain('new EventSource(url.pathname + url.search)');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['cache-control']).toBe('no-store');
  });

  it('is not served unless dev mode is on', async () => {
    const server = await buildTestServer();
    try {
      expect((await server.app.inject({ method: 'GET', url: '/dev/stream' })).statusCode).toBe(404);
    } finally {
      await server.app.close();
    }
  });
});
