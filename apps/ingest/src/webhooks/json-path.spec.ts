import { readPath, scalarText } from './json-path.ts';

describe('readPath', () => {
  const payload = {
    pull_request: { title: 'Fix', user: { login: 'octo' }, labels: [{ name: 'bug' }] },
    zero: 0,
  };

  it('follows object keys', () => {
    expect(readPath(payload, 'pull_request.user.login')).toBe('octo');
  });

  it('accepts a $. prefix', () => {
    expect(readPath(payload, '$.pull_request.title')).toBe('Fix');
  });

  it('indexes arrays with numeric segments', () => {
    expect(readPath(payload, 'pull_request.labels.0.name')).toBe('bug');
    expect(readPath(payload, 'pull_request.labels.1.name')).toBeUndefined();
    expect(readPath(payload, 'pull_request.labels.x')).toBeUndefined();
  });

  it('returns falsy values as they are', () => {
    expect(readPath(payload, 'zero')).toBe(0);
  });

  it('is undefined for a missing path or a path through a scalar', () => {
    expect(readPath(payload, 'pull_request.missing.deeper')).toBeUndefined();
    expect(readPath(payload, 'pull_request.title.length')).toBeUndefined();
  });

  it('never follows inherited properties', () => {
    expect(readPath(payload, 'constructor')).toBeUndefined();
    expect(readPath(payload, '__proto__')).toBeUndefined();
    expect(readPath(payload, 'pull_request.toString')).toBeUndefined();
  });
});

describe('scalarText', () => {
  it('keeps non-empty strings and finite numbers', () => {
    expect(scalarText('evt_1')).toBe('evt_1');
    expect(scalarText(42)).toBe('42');
  });

  it('rejects everything else', () => {
    for (const value of ['', Number.NaN, null, undefined, true, {}, []]) {
      expect(scalarText(value)).toBeUndefined();
    }
  });
});
