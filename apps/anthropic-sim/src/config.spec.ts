import { SimConfigError } from './errors.ts';
import { loadConfig } from './config.ts';

const fails = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(SimConfigError);
    return (error as Error).message;
  }
  throw new Error('expected loadConfig to fail');
};

describe('loadConfig', () => {
  it('an empty environment gives the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 4010,
      publicUrl: undefined,
      apiKeys: undefined,
      adminEnabled: false,
      generation: {
        tokensPerSecond: 100,
        ttftMs: 250,
        outputTokensMin: 16,
        outputTokensMax: 256,
        charsPerToken: 4,
      },
      latency: { mode: 'fixed', ms: 0 },
      errorRates: {},
      faults: [],
      rateLimits: { defaults: { rpm: 4000, itpm: 2_000_000, otpm: 400_000 }, perModel: {} },
      cache: { minTokens: 1024 },
      batches: { processingMs: 5000, cancelMs: 500, webhook: undefined },
    });
  });

  it('empty variables count as unset', () => {
    expect(loadConfig({ SIM_PORT: '', SIM_ADMIN_ENABLED: ' ' })).toMatchObject({
      port: 4010,
      adminEnabled: false,
    });
  });

  it('parses lists, booleans, JSON and the error-rate shorthand', () => {
    const config = loadConfig({
      SIM_API_KEYS: 'a, b,,c',
      SIM_ADMIN_ENABLED: 'yes',
      SIM_MODELS: 'my-model',
      SIM_ERROR_RATES: '500=0.01, 529=0.02,batches:503=0.5',
      SIM_FAULTS: '[{"match":{"contains":"x"},"action":{"type":"error","status":500},"times":2}]',
      SIM_RATE_LIMITS: '{"claude-haiku-4-5":{"rpm":10}}',
      SIM_LATENCY_MODE: 'lognormal',
      SIM_LATENCY_MS: '200',
      SIM_PUBLIC_URL: 'http://sim.local:4010/',
    });
    expect(config.apiKeys).toEqual(['a', 'b', 'c']);
    expect(config.adminEnabled).toBe(true);
    expect(config.extraModels).toEqual(['my-model']);
    expect(config.errorRates).toEqual({
      messages: { '500': 0.01, '529': 0.02 },
      batches: { '503': 0.5 },
    });
    expect(config.faults).toEqual([
      {
        match: { contains: 'x' },
        action: { type: 'error', status: 500 },
        times: 2,
        probability: 1,
      },
    ]);
    expect(config.rateLimits.perModel).toEqual({ 'claude-haiku-4-5': { rpm: 10 } });
    expect(config.latency).toEqual({
      mode: 'lognormal',
      median_ms: 200,
      sigma: 0.5,
      max_ms: 60_000,
    });
    expect(config.publicUrl).toBe('http://sim.local:4010');
  });

  it('a webhook needs both its URL and its secret', () => {
    expect(fails({ SIM_BATCH_WEBHOOK_URL: 'http://x/y' })).toMatch(/SIM_BATCH_WEBHOOK_SECRET/);
    expect(
      loadConfig({ SIM_BATCH_WEBHOOK_URL: 'http://x/y', SIM_BATCH_WEBHOOK_SECRET: 'whsec_abc' })
        .batches.webhook,
    ).toEqual({
      url: 'http://x/y',
      secret: 'whsec_abc',
    });
  });

  it.each([
    ['SIM_PORT', 'http'],
    ['SIM_PORT', '70000'],
    ['SIM_ADMIN_ENABLED', 'maybe'],
    ['SIM_TOKENS_PER_SECOND', '-1'],
    ['SIM_LATENCY_MODE', 'gaussian'],
    ['SIM_ERROR_RATES', '500:0.1'],
    ['SIM_ERROR_RATES', '200=0.1'],
    ['SIM_ERROR_RATES', '500=2'],
    ['SIM_FAULTS', '{not json'],
    ['SIM_FAULTS', '[{"action":{"type":"explode"}}]'],
    ['SIM_RATE_LIMITS', '{"m":{"rpm":-1}}'],
    ['SIM_PUBLIC_URL', 'not a url'],
  ])('%s=%j fails naming the variable', (name, value) => {
    expect(fails({ [name]: value })).toMatch(
      new RegExp(`^invalid anthropic-sim configuration:\\n  ${name}: `),
    );
  });

  it('reports every bad variable at once', () => {
    const message = fails({ SIM_PORT: 'x', SIM_TTFT_MS: 'y' });
    expect(message).toMatch(/SIM_PORT: /);
    expect(message).toMatch(/SIM_TTFT_MS: /);
  });

  it('output token bounds must be ordered', () => {
    expect(fails({ SIM_OUTPUT_TOKENS_MIN: '10', SIM_OUTPUT_TOKENS_MAX: '5' })).toMatch(
      /SIM_OUTPUT_TOKENS_MIN/,
    );
  });
});
