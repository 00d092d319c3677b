import * as incubating from '@opentelemetry/semantic-conventions/incubating';
import * as attributes from './attributes.ts';

describe('attributes', () => {
  it('copied semantic-convention names equal the installed package', () => {
    const copied = Object.entries(attributes).filter(
      ([name]) => /^(ATTR|MESSAGING|GEN_AI)_/.test(name) && !name.startsWith('ATTR_PIPELINE_'),
    );
    expect(copied.length).toBeGreaterThan(20);
    for (const [name, value] of copied) {
      expect([name, (incubating as Record<string, unknown>)[name]]).toEqual([name, value]);
    }
  });

  it('custom names live under pipeline.', () => {
    const custom = Object.entries(attributes).filter(([name]) => name.startsWith('ATTR_PIPELINE_'));
    expect(custom.length).toBeGreaterThan(10);
    for (const [, value] of custom) expect(value).toMatch(/^pipeline\.[a-z_.]+$/);
    expect(attributes.ATTR_PIPELINE_JOB_ID).toBe('pipeline.job.id');
    expect(attributes.ATTR_PIPELINE_RETRY_STAGE).toBe('pipeline.retry.stage');
    expect(attributes.ATTR_PIPELINE_ERROR_CLASS).toBe('pipeline.error.class');
  });
});
