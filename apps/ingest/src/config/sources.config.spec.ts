import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IngestConfigError } from '../errors.ts';
import { createWebhookSource } from '../webhooks/webhook-source.ts';
import { parseSources } from './sources.config.ts';

const SAMPLE = join(__dirname, '..', '..', 'config', 'sources.sample.json');

const parse = (file: unknown, env: Record<string, string> = {}) =>
  parseSources(JSON.stringify(file), env, 'sources.json');

const github = (extra: Record<string, unknown> = {}) => ({
  sources: {
    github: {
      tenant: 'acme',
      scheme: 'github',
      secret_env: 'GH_SECRET',
      routes: { pull_request: { instruction: 'Summarise.' } },
      ...extra,
    },
  },
});

const errorOf = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(IngestConfigError);
    return error as Error;
  }
  throw new Error('expected an IngestConfigError');
};

describe('parseSources', () => {
  it('reads the sample file (GitHub and Anthropic) with its secrets from the environment', () => {
    const sources = parseSources(
      readFileSync(SAMPLE, 'utf8'),
      {
        INGEST_SECRET_GITHUB: 'gh-new',
        INGEST_SECRET_GITHUB_PREVIOUS: 'gh-old',
        INGEST_SECRET_ANTHROPIC: 'whsec_' + Buffer.from('k'.repeat(32)).toString('base64'),
      },
      SAMPLE,
    );
    expect(sources.map((s) => [s.name, s.scheme, s.tenant])).toEqual([
      ['github', 'github', 'acme'],
      ['anthropic', 'anthropic', 'acme'],
    ]);
    const [gh, anthropic] = sources;
    expect(gh!.secrets.map((s) => s.env)).toEqual([
      'INGEST_SECRET_GITHUB',
      'INGEST_SECRET_GITHUB_PREVIOUS',
    ]);
    expect(gh!.routes.get('pull_request')!.instruction).toMatch(/^Summarise this pull request/);
    expect(anthropic!.eventType).toEqual({ path: 'data.type' });
    // And the verifiers build from them.
    for (const source of sources) expect(() => createWebhookSource(source)).not.toThrow();
  });

  it('applies each scheme’s defaults for delivery id and event type', () => {
    const schemes = {
      'standard-webhooks': [{ header: 'webhook-id' }, { path: 'type' }],
      anthropic: [{ header: 'webhook-id' }, { path: 'data.type' }],
      github: [{ header: 'x-github-delivery' }, { header: 'x-github-event' }],
      stripe: [{ path: 'id' }, { path: 'type' }],
    };
    for (const [scheme, [key, type]] of Object.entries(schemes)) {
      const [source] = parse(github({ scheme }), { GH_SECRET: 's' });
      expect([source!.idempotencyKey, source!.eventType]).toEqual([key, type]);
    }
  });

  it('lower-cases configured header names', () => {
    const [source] = parse(github({ idempotency_key: { header: 'X-Delivery' } }), {
      GH_SECRET: 's',
    });
    expect(source!.idempotencyKey).toEqual({ header: 'x-delivery' });
  });

  it('names a missing secret variable and its source', () => {
    const error = errorOf(() => parse(github()));
    expect(error.message).toContain('GH_SECRET: not set');
    expect(error.message).toContain('"github"');
  });

  it('refuses secrets in the file (strict objects)', () => {
    const error = errorOf(() => parse(github({ secrets: ['in-the-file'] }), { GH_SECRET: 's' }));
    expect(error.message).toContain('secrets');
    expect(error.message).not.toContain('in-the-file');
  });

  it('needs hmac settings, delivery id and event type for the hmac scheme', () => {
    const error = errorOf(() => parse(github({ scheme: 'hmac' }), { GH_SECRET: 's' }));
    expect(error.message).toContain('hmac');
    expect(error.message).toContain('idempotency_key');
    expect(error.message).toContain('event_type');
  });

  it('refuses a route with both model and task_class, and bad paths', () => {
    const route = { instruction: 'x', model: 'claude-haiku-4-5', task_class: 'review' };
    expect(() => parse(github({ routes: { push: route } }), { GH_SECRET: 's' })).toThrow(
      IngestConfigError,
    );
    expect(() =>
      parse(github({ routes: { push: { instruction: 'x', fields: { a: 'a..b' } } } }), {
        GH_SECRET: 's',
      }),
    ).toThrow(/dot path/);
  });

  it('reserves the source name "api" and keeps names URL- and key-safe', () => {
    const file = (name: string) => ({ sources: { [name]: github().sources.github } });
    expect(() => parse(file('api'), { GH_SECRET: 's' })).toThrow(/reserved/);
    expect(() => parse(file('Git Hub'), { GH_SECRET: 's' })).toThrow(IngestConfigError);
  });

  it('reports invalid JSON with the file name', () => {
    expect(() => parseSources('{', {}, '/etc/ingest/sources.json')).toThrow(
      '/etc/ingest/sources.json: not valid JSON',
    );
  });
});

describe('createWebhookSource', () => {
  it('names the variable of a secret the scheme cannot use, never the secret', () => {
    const [source] = parse(github({ scheme: 'standard-webhooks' }), {
      GH_SECRET: 'whsec_not base64!',
    });
    const error = errorOf(() => createWebhookSource(source!));
    expect(error.message).toContain('GH_SECRET');
    expect(error.message).not.toContain('not base64');
  });
});
