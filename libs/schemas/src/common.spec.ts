import {
  correlationIdSchema,
  isJobId,
  JOB_ID_PATTERN,
  jobIdSchema,
  METADATA_LIMITS,
  metadataSchema,
  offsetSchema,
  timestampSchema,
} from './common.ts';

describe('job ids', () => {
  it.each(['a', 'acme_5f2b9c1e7d', 'A-b_0', 'x'.repeat(64)])('accepts %s', (id) => {
    expect(jobIdSchema.safeParse(id).success).toBe(true);
    expect(isJobId(id)).toBe(true);
  });

  it.each(['', 'x'.repeat(65), 'has space', 'dot.ted', 'slash/ed', 'ünïcode', 'tab\t'])(
    'rejects %j',
    (id) => {
      expect(jobIdSchema.safeParse(id).success).toBe(false);
      expect(isJobId(id)).toBe(false);
    },
  );

  it('exports the pattern the architecture fixes', () => {
    expect(JOB_ID_PATTERN.source).toBe('^[a-zA-Z0-9_-]{1,64}$');
  });

  it('isJobId rejects non-strings', () => {
    expect(isJobId(42)).toBe(false);
    expect(isJobId(undefined)).toBe(false);
  });
});

describe('metadata', () => {
  it('accepts up to the key limit', () => {
    const full = Object.fromEntries(
      Array.from({ length: METADATA_LIMITS.maxKeys }, (_, i) => [`k${i}`, 'v']),
    );
    expect(metadataSchema.safeParse(full).success).toBe(true);
  });

  it('rejects one key too many, long keys, long values and non-strings', () => {
    const tooMany = Object.fromEntries(
      Array.from({ length: METADATA_LIMITS.maxKeys + 1 }, (_, i) => [`k${i}`, 'v']),
    );
    expect(metadataSchema.safeParse(tooMany).success).toBe(false);
    expect(metadataSchema.safeParse({ ['k'.repeat(65)]: 'v' }).success).toBe(false);
    expect(metadataSchema.safeParse({ k: 'v'.repeat(513) }).success).toBe(false);
    expect(metadataSchema.safeParse({ k: 1 }).success).toBe(false);
  });
});

describe('timestamps', () => {
  it('accepts UTC ISO timestamps with or without fractions', () => {
    expect(timestampSchema.safeParse('2025-01-15T10:00:00Z').success).toBe(true);
    expect(timestampSchema.safeParse(new Date(0).toISOString()).success).toBe(true);
  });

  it('rejects offsets, dates and epoch numbers', () => {
    expect(timestampSchema.safeParse('2025-01-15T10:00:00+01:00').success).toBe(false);
    expect(timestampSchema.safeParse('2025-01-15').success).toBe(false);
    expect(timestampSchema.safeParse(1736935200000).success).toBe(false);
  });
});

describe('correlation ids and offsets', () => {
  it('correlation ids are header-safe', () => {
    expect(correlationIdSchema.safeParse('req-1:abc/def').success).toBe(true);
    expect(correlationIdSchema.safeParse('has space').success).toBe(false);
    expect(correlationIdSchema.safeParse('line\nbreak').success).toBe(false);
  });

  it('offsets are decimal strings without leading zeros', () => {
    expect(offsetSchema.safeParse('0').success).toBe(true);
    expect(offsetSchema.safeParse('9223372036854775807').success).toBe(true);
    expect(offsetSchema.safeParse('007').success).toBe(false);
    expect(offsetSchema.safeParse(7).success).toBe(false);
  });
});
