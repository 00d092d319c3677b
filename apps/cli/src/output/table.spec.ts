import { renderTable, truncate } from './table.ts';

describe('tables', () => {
  it('aligns columns, right-aligns numbers and cuts long cells', () => {
    const text = renderTable(
      [{ header: 'TOPIC' }, { header: 'RECORDS', align: 'right' }, { header: 'NOTE', max: 8 }],
      [
        ['pipeline.jobs', '12', 'short'],
        ['pipeline.results', '1,234', 'a rather long note'],
      ],
    );
    expect(text.split('\n')).toEqual([
      'TOPIC             RECORDS  NOTE',
      'pipeline.jobs          12  short',
      'pipeline.results    1,234  a rathe…',
    ]);
  });

  it('flattens whitespace so a cell stays on one line', () => {
    expect(truncate('a\nb\tc', undefined)).toBe('a b c');
  });
});
