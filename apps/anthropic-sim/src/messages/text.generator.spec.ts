import { seededRandom } from '../random.ts';
import { generateTokens, requestedOutputTokens } from './text.generator.ts';

describe('generateTokens', () => {
  it('gives exactly `count` tokens of prose ending with a period', () => {
    const tokens = generateTokens(seededRandom(1), 50);
    expect(tokens).toHaveLength(50);
    const text = tokens.join('');
    expect(text).toMatch(/^[A-Z]/);
    expect(text.endsWith('.')).toBe(true);
    expect(text.split(' ')).toHaveLength(50);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    expect(generateTokens(seededRandom(3), 20)).toEqual(generateTokens(seededRandom(3), 20));
    expect(generateTokens(seededRandom(3), 20)).not.toEqual(generateTokens(seededRandom(4), 20));
  });

  it('a limit cuts the same tokens short', () => {
    const full = generateTokens(seededRandom(9), 40);
    expect(generateTokens(seededRandom(9), 40, 10)).toEqual(full.slice(0, 10));
  });
});

describe('requestedOutputTokens', () => {
  it('reads sim:output_tokens=N from a prompt', () => {
    expect(requestedOutputTokens('please sim:output_tokens=123 thanks')).toBe(123);
    expect(requestedOutputTokens('no directive')).toBeUndefined();
  });
});
