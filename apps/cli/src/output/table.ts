/**
 * Plain aligned columns, like `kubectl get`: no borders, two spaces between columns, header in
 * capitals. Cells longer than their column's limit are cut with an ellipsis.
 */
export interface Column {
  header: string;
  /** Longest cell width in characters (default: no limit). */
  max?: number;
  align?: 'left' | 'right';
}

export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
): string {
  const cells = rows.map((row) => columns.map((c, i) => truncate(row[i] ?? '', c.max)));
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...cells.map((row) => (row[i] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    columns
      .map((c, i) => {
        const cell = row[i] ?? '';
        const width = widths[i] ?? 0;
        if (i === columns.length - 1 && c.align !== 'right') return cell;
        return c.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

export function truncate(text: string, max: number | undefined): string {
  const flat = text.replace(/\s+/g, ' ');
  if (max === undefined || flat.length <= max) return flat;
  return `${flat.slice(0, Math.max(0, max - 1))}…`;
}
