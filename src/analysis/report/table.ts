/**
 * Rows rendered the way the openstack CLI renders them: a boxed table, or
 * `-f json|yaml|value` (value: the cells of each row separated by spaces).
 */
import { stringify } from 'yaml';

export interface Rows {
  columns: string[];
  rows: string[][];
}

/** A column as metadata: its heading and how one item's cell is written. */
export interface Column<T> {
  name: string;
  cell: (item: T) => string;
}

/** Items as rows under columns; every row format is written from these. */
export const tabulate = <T>(columns: Column<T>[], items: T[]): Rows => ({ columns: columns.map((c) => c.name), rows: items.map((i) => columns.map((c) => c.cell(i))) });

export type RowFormat = 'table' | 'json' | 'yaml' | 'value';

function box(t: Rows): string {
  const cells = [t.columns, ...t.rows].map((row) => row.map((c) => c.split('\n')));
  const widths = t.columns.map((_, i) => Math.max(...cells.map((row) => Math.max(...row[i].map((l) => l.length)))));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (row: string[][]) => {
    const height = Math.max(...row.map((c) => c.length));
    return Array.from({ length: height }, (_, k) => `| ${row.map((c, i) => (c[k] ?? '').padEnd(widths[i])).join(' | ')} |`).join('\n');
  };
  return [rule, line(cells[0]), rule, ...cells.slice(1).map(line), rule].join('\n');
}

const records = (t: Rows) => t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i]])));

export function formatRows(t: Rows, format: RowFormat): string {
  switch (format) {
    case 'table':
      return t.rows.length ? box(t) : '';
    case 'json':
      return JSON.stringify(records(t), null, 2);
    case 'yaml':
      return stringify(records(t)).trimEnd();
    case 'value':
      return t.rows.map((r) => r.map((c) => c.replace(/\n/g, ' ')).join(' ')).join('\n');
  }
}
