import { Recorder } from '../../test/support/capture-io.ts';
import { createProgress, renderProgressLine } from './progress.ts';

describe('progress bar', () => {
  it('draws nothing when the stream is not a terminal', () => {
    const stream = new Recorder(false);
    const p = createProgress({ stream, label: 'redriving', total: 3 });
    p.tick();
    p.tick();
    p.stop();
    expect(stream.text).toBe('');
  });

  it('draws nothing with --json even on a terminal', () => {
    const stream = new Recorder(true);
    const p = createProgress({ stream, label: 'redriving', total: 3, enabled: false });
    p.tick();
    p.stop();
    expect(stream.text).toBe('');
  });

  it('redraws in place on a terminal, throttled, and clears the line at the end', () => {
    const stream = new Recorder(true);
    let t = 0;
    const p = createProgress({
      stream,
      label: 'redriving',
      total: 4,
      now: () => t,
      intervalMs: 100,
    });
    expect(stream.chunks).toHaveLength(1); // the empty bar
    p.tick(); // within 100 ms: not drawn
    expect(stream.chunks).toHaveLength(1);
    t = 150;
    p.tick();
    expect(stream.chunks.at(-1)).toContain('2/4');
    t = 160;
    p.tick(2); // complete: always drawn
    expect(stream.chunks.at(-1)).toContain('4/4 100%');
    p.stop();
    expect(stream.chunks.at(-1)).toBe('\r\x1b[2K');
    expect(stream.chunks.every((c) => c.startsWith('\r\x1b[2K'))).toBe(true);
  });

  it('a frame shows the bar, the counts and the percentage, cut to the width', () => {
    expect(renderProgressLine('x', 6, 24, 200)).toBe(
      `x [${'#'.repeat(6)}${'-'.repeat(18)}] 6/24  25%`,
    );
    expect(renderProgressLine('reading', 3, undefined, 200)).toBe('reading 3');
    expect(renderProgressLine('x', 1, 2, 10)).toHaveLength(9);
  });
});
