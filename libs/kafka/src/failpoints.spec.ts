import { failpoint, FailpointError, parseFailpoints, resetFailpoints } from './failpoints.ts';

describe('failpoints', () => {
  afterEach(() => resetFailpoints({}));

  it('is a no-op when nothing is armed', () => {
    resetFailpoints({});
    expect(() => failpoint('dedupe.after-produce-before-commit')).not.toThrow();
  });

  it('parses names, actions and the hit that fires', () => {
    const armed = parseFailpoints('a, b=throw, c=crash@3');
    expect(armed.get('a')).toMatchObject({ action: 'crash', onHit: 1 });
    expect(armed.get('b')).toMatchObject({ action: 'throw', onHit: 1 });
    expect(armed.get('c')).toMatchObject({ action: 'crash', onHit: 3 });
  });

  it('rejects a spec it cannot parse, naming the variable', () => {
    expect(() => parseFailpoints('a=explode')).toThrow(/PIPELINE_FAILPOINTS/);
  });

  it('throws at an armed throw point on the configured hit only', () => {
    resetFailpoints({ PIPELINE_FAILPOINTS: 'p=throw@2' });
    expect(() => failpoint('p')).not.toThrow();
    expect(() => failpoint('p')).toThrow(FailpointError);
    expect(() => failpoint('p')).not.toThrow();
    expect(() => failpoint('other')).not.toThrow();
  });

  it('kills the process with SIGKILL at an armed crash point', () => {
    resetFailpoints({ PIPELINE_FAILPOINTS: 'p=crash' });
    const kill = jest.spyOn(process, 'kill').mockImplementation(() => true);
    try {
      failpoint('p');
      expect(kill).toHaveBeenCalledWith(process.pid, 'SIGKILL');
    } finally {
      kill.mockRestore();
    }
  });
});
