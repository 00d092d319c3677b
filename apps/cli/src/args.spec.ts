import {
  choiceFlag,
  expectPositionals,
  headerFlags,
  intFlag,
  keyValueFlags,
  parseCommandArgs,
  wantsHelp,
} from './args.ts';
import { UsageError } from './errors.ts';

describe('flag parsing', () => {
  it('an unknown flag is a usage error that points at the command help', () => {
    expect(() => parseCommandArgs(['--nope'], {}, 'dlq list')).toThrow(UsageError);
    try {
      parseCommandArgs(['--nope'], {}, 'dlq list');
    } catch (error) {
      expect((error as UsageError).exitCode).toBe(2);
      expect((error as UsageError).hint).toBe("see 'pipeline dlq list --help'");
    }
  });

  it('a string flag without its value is a usage error', () => {
    expect(() => parseCommandArgs(['--since'], { since: { type: 'string' } }, 'dlq list')).toThrow(
      UsageError,
    );
  });

  it('repeatable flags collect every value', () => {
    const { values } = parseCommandArgs(
      ['--secret', 'a', '--secret', 'b'],
      { secret: { type: 'string', multiple: true } },
      'listen',
    );
    expect(values.secret).toEqual(['a', 'b']);
  });

  it('help is asked for by -h or --help, but not after --', () => {
    expect(wantsHelp(['--source', 'x', '-h'])).toBe(true);
    expect(wantsHelp(['--help'])).toBe(true);
    expect(wantsHelp(['--', '--help'])).toBe(false);
    expect(wantsHelp(['--source', 'github'])).toBe(false);
  });

  it('integers are checked against their bounds', () => {
    expect(intFlag('8787', 'port', { min: 0, max: 65535 })).toBe(8787);
    expect(intFlag(undefined, 'port')).toBeUndefined();
    expect(() => intFlag('80a', 'port')).toThrow('--port must be an integer');
    expect(() => intFlag('70000', 'port', { min: 0, max: 65535 })).toThrow(UsageError);
  });

  it('a choice outside the list names the allowed values', () => {
    expect(choiceFlag('batch', 'mode', ['realtime', 'batch'])).toBe('batch');
    expect(() => choiceFlag('fast', 'mode', ['realtime', 'batch'])).toThrow(
      '--mode must be one of realtime, batch, got "fast"',
    );
  });

  it('key=value and header flags are parsed, header names lower-cased', () => {
    expect(keyValueFlags(['a=1', 'b=x=y'], 'metadata')).toEqual({ a: '1', b: 'x=y' });
    expect(() => keyValueFlags(['nokey'], 'metadata')).toThrow(UsageError);
    expect(headerFlags(['X-Custom: hello world', 'A:b'])).toEqual({
      'x-custom': 'hello world',
      a: 'b',
    });
    expect(() => headerFlags(['bad header: x'])).toThrow(UsageError);
  });

  it('positional counts are enforced', () => {
    const opts = { min: 1, max: 1, command: 'jobs get', what: 'job id' };
    expect(() => expectPositionals([], opts)).toThrow('missing job id');
    expect(() => expectPositionals(['a', 'b'], opts)).toThrow('unexpected argument: b');
    expect(() => expectPositionals(['a'], opts)).not.toThrow();
  });
});
