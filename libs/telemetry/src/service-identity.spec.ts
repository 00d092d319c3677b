import { serviceIdentityOf, UNKNOWN_SERVICE } from './service-identity.ts';

const files = (entries: Record<string, unknown>) => (path: string) =>
  path in entries ? JSON.stringify(entries[path]) : undefined;

describe('serviceIdentityOf', () => {
  it('takes name (scope dropped) and version of the nearest package.json', () => {
    const read = files({
      '/repo/apps/ingest/package.json': { name: '@claude-pipeline/ingest', version: '0.3.0' },
      '/repo/package.json': { name: 'claude-pipeline' },
    });
    expect(serviceIdentityOf('/repo/apps/ingest/src/main.ts', read)).toEqual({
      name: 'ingest',
      version: '0.3.0',
    });
  });

  it('skips package.json files without a name', () => {
    const read = files({
      '/repo/apps/x/dist/package.json': { type: 'module' },
      '/repo/apps/x/package.json': { name: 'x' },
    });
    expect(serviceIdentityOf('/repo/apps/x/dist/main.js', read)).toEqual({ name: 'x' });
  });

  it('falls back to the spec default when nothing names the service', () => {
    expect(serviceIdentityOf('/tmp/script.ts', () => undefined)).toEqual({ name: UNKNOWN_SERVICE });
    expect(serviceIdentityOf(undefined)).toEqual({ name: UNKNOWN_SERVICE });
    expect(serviceIdentityOf('/a/b.ts', () => 'not json')).toEqual({ name: UNKNOWN_SERVICE });
  });
});
