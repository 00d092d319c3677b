import { createHash } from 'node:crypto';
import { JOB_ID_PATTERN } from '@claude-pipeline/schemas';
import {
  eventKeyFor,
  jobIdFor,
  MAX_RAW_KEY_LENGTH,
  randomIdempotencyKey,
  scopedIdempotencyKey,
} from './ids.ts';

describe('jobIdFor', () => {
  it('is base64url SHA-256 of domain, tenant and key, independently computed', () => {
    const expected = createHash('sha256')
      .update('claude-pipeline/job-id/v1\u0000acme\u0000api:order-1')
      .digest('base64url');
    expect(jobIdFor('acme', 'api:order-1')).toBe(expected);
  });

  it('fits the job id pattern (43 characters, no truncation needed)', () => {
    const id = jobIdFor('acme', 'x'.repeat(255));
    expect(id).toMatch(JOB_ID_PATTERN);
    expect(id).toHaveLength(43);
  });

  it('is the same for a repeat and differs between tenants', () => {
    expect(jobIdFor('acme', 'k')).toBe(jobIdFor('acme', 'k'));
    expect(jobIdFor('acme', 'k')).not.toBe(jobIdFor('globex', 'k'));
  });

  it('cannot be made equal by moving characters between tenant and key', () => {
    expect(jobIdFor('ab', 'c')).not.toBe(jobIdFor('a', 'bc'));
  });
});

describe('scopedIdempotencyKey', () => {
  it('prefixes the scope, so API keys and webhook deliveries never collide', () => {
    expect(scopedIdempotencyKey('api', 'k-1')).toBe('api:k-1');
    expect(scopedIdempotencyKey('github', 'k-1')).toBe('github:k-1');
  });

  it('replaces a key longer than the limit by its hash, within 255 characters', () => {
    const long = 'd'.repeat(MAX_RAW_KEY_LENGTH + 1);
    const scoped = scopedIdempotencyKey('a'.repeat(64), long);
    expect(scoped).toMatch(/^a{64}:sha256:[A-Za-z0-9_-]{43}$/);
    expect(scoped.length).toBeLessThanOrEqual(255);
    expect(scopedIdempotencyKey('s', long)).toBe(scopedIdempotencyKey('s', long));
  });
});

describe('eventKeyFor', () => {
  it('joins tenant and idempotency key with the first colon', () => {
    expect(eventKeyFor('acme', 'github:a/b')).toBe('acme:github:a/b');
  });
});

describe('randomIdempotencyKey', () => {
  it('is new every time', () => {
    expect(randomIdempotencyKey()).not.toBe(randomIdempotencyKey());
  });
});
