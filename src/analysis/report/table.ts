/**
 * Rows rendered byte for byte as the openstack CLI (cliff) renders a listing:
 * prettytable's boxed table (wrapped to --max-width / --fit-width as cliff
 * shrinks it), json, yaml, value and csv (Python's csv module, cliff's
 * dialect); with cliff's column selection (-c) and sorting (--sort-column).
 */
import { stringify } from 'yaml';

/** A cell as cliff receives it: text, or a number (right-aligned in tables, unquoted in csv). */
export type Cell = string | number;

export interface Rows {
  columns: string[];
  rows: Cell[][];
}

/** A column as metadata: its heading and how one item's cell is written. */
export interface Column<T> {
  name: string;
  cell: (item: T) => Cell;
}

/** Items as rows under columns; every row format is written from these. */
export const tabulate = <T>(columns: Column<T>[], items: T[]): Rows => ({ columns: columns.map((c) => c.name), rows: items.map((i) => columns.map((c) => c.cell(i))) });

export const ROW_FORMATS = ['table', 'json', 'yaml', 'value', 'csv'] as const;
export type RowFormat = (typeof ROW_FORMATS)[number];

export const QUOTE_MODES = ['all', 'minimal', 'none', 'nonnumeric'] as const;
export type QuoteMode = (typeof QUOTE_MODES)[number];

export interface RowOptions {
  /** table: the width to fit (cliff's --max-width, or the terminal's with --fit-width); none: as wide as the cells */
  width?: number;
  /** table: the header and rules even without rows (--print-empty) */
  printEmpty?: boolean;
  /** csv: when to quote (cliff's default nonnumeric) */
  quote?: QuoteMode;
  /** json: on one line */
  noindent?: boolean;
}

/** A column name -c or --sort-column asks for that the rows do not have, as cliff words it. */
export class ColumnError extends Error {}

const pyList = (names: readonly string[], open: string, close: string) =>
  `${open}${names.map((n) => `'${n}'`).join(', ')}${names.length === 1 && open === '(' ? ',' : ''}${close}`;

/** cliff's -c: the chosen columns in the rows' order; unknown names are ignored unless none is known. */
export function selectColumns(t: Rows, wanted: readonly string[] | undefined): Rows {
  if (!wanted?.length) return t;
  const keep = t.columns.map((c) => wanted.includes(c));
  if (!keep.some(Boolean)) throw new ColumnError(`No recognized column names in ${pyList(wanted, '[', ']')}. Recognized columns are ${pyList(t.columns, '(', ')')}.`);
  return { columns: t.columns.filter((_, i) => keep[i]), rows: t.rows.map((r) => r.filter((_, i) => keep[i])) };
}

const compare = (a: Cell, b: Cell): number => {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const [x, y] = [String(a), String(b)];
  return x < y ? -1 : x > y ? 1 : 0;
};

/** cliff's --sort-column: the first named column decides first; names the rows lack are ignored (before -c, as cliff sorts). */
export function sortRows(t: Rows, by: readonly string[] | undefined, descending = false): Rows {
  const indexes = (by ?? []).map((c) => t.columns.indexOf(c)).filter((i) => i >= 0);
  if (!indexes.length) return t;
  const sign = descending ? -1 : 1;
  const rows = [...t.rows].sort((a, b) => {
    for (const i of indexes) {
      const c = compare(a[i], b[i]);
      if (c) return sign * c;
    }
    return 0;
  });
  return { columns: t.columns, rows };
}

// --- Python's textwrap.fill, which prettytable applies to each line wider than its column

const WS = '\\t\\n\\x0b\\x0c\\r ';
const LETTER = '[\\p{L}\\p{M}_]';
const WORD_PUNCT = '[\\p{L}\\p{M}\\p{N}_!"\'&.,?]';
const WORDSEP = new RegExp(
  `([${WS}]+|(?<=${WORD_PUNCT})-{2,}(?=[\\p{L}\\p{M}\\p{N}_])|[^${WS}]+?(?:-(?:(?<=${LETTER}{2}-)|(?<=${LETTER}-${LETTER}-))(?=${LETTER}-?${LETTER})|(?=[${WS}]|$)|(?<=${WORD_PUNCT})(?=-{2,}[\\p{L}\\p{M}\\p{N}_])))`,
  'gu',
);
const blank = (s: string) => s.trim() === '';

function expandTabs(line: string): string {
  let out = '';
  for (const ch of line) out += ch === '\t' ? ' '.repeat(8 - (out.length % 8)) : ch;
  return out;
}

/** textwrap.wrap(text, width) with its defaults (tabs expanded, whitespace made spaces, long words and hyphens broken). */
export function wrapText(text: string, width: number): string[] {
  const chunks = expandTabs(text).replace(/[\t\n\x0b\x0c\r]/g, ' ').split(WORDSEP).filter((c) => c !== '').reverse();
  const lines: string[] = [];
  while (chunks.length) {
    const line: string[] = [];
    let length = 0;
    if (lines.length && blank(chunks[chunks.length - 1])) chunks.pop();
    while (chunks.length && length + chunks[chunks.length - 1].length <= width) {
      length += chunks[chunks.length - 1].length;
      line.push(chunks.pop()!);
    }
    if (chunks.length && chunks[chunks.length - 1].length > width) {
      const chunk = chunks[chunks.length - 1];
      const room = width < 1 ? 1 : width - length;
      let end = room;
      const hyphen = chunk.lastIndexOf('-', room - 1);
      if (chunk.length > room && hyphen > 0 && /[^-]/.test(chunk.slice(0, hyphen))) end = hyphen + 1;
      line.push(chunk.slice(0, end));
      chunks[chunks.length - 1] = chunk.slice(end);
    }
    if (line.length && blank(line[line.length - 1])) line.pop();
    if (line.length) lines.push(line.join(''));
  }
  return lines;
}

// --- prettytable, as cliff sets it up

const lines = (c: Cell) => String(c).replace(/\r\n/g, '\n').replace(/\r/g, ' ').split('\n');
const widthOf = (c: Cell) => Math.max(...lines(c).map((l) => l.length));

/** cliff's _assign_max_widths: each column's limit so the table fits `width`, the narrow columns kept whole. */
function columnLimits(natural: number[], width: number): (number | undefined)[] {
  const total = natural.reduce((s, w) => s + w + 3, 1);
  if (total <= width) return natural.map(() => undefined);
  const usable = Math.max(0, width - 1 - 3 * natural.length);
  const optimal = Math.max(0, Math.floor(usable / natural.length));
  const shrink = natural.map((w, i) => (w <= optimal ? -1 : i)).filter((i) => i >= 0);
  let remaining = usable - natural.reduce((s, w) => s + (w <= optimal ? w : 0), 0);
  const each = Math.floor(remaining / shrink.length);
  const limits: (number | undefined)[] = natural.map(() => undefined);
  for (const i of shrink.slice(0, -1)) {
    limits[i] = Math.max(8, each);
    remaining -= each;
  }
  limits[shrink[shrink.length - 1]] = Math.max(8, remaining);
  return limits;
}

function box(t: Rows, o: RowOptions): string {
  if (!t.rows.length && !o.printEmpty) return '';
  const right = t.columns.map((_, i) => typeof t.rows[0]?.[i] === 'number');
  const natural = t.columns.map((c, i) => Math.max(c.length, ...t.rows.map((r) => widthOf(r[i]))));
  const limits = o.width && o.width > 0 ? columnLimits(natural, o.width) : natural.map(() => undefined);
  const widths = t.columns.map((c, i) => Math.max(c.length, ...t.rows.map((r) => Math.min(widthOf(r[i]), limits[i] ?? Infinity))));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (row: Cell[]) => {
    const cells = row.map((c, i) => lines(c).flatMap((l) => (l.length > widths[i] ? wrapText(l, widths[i]) : [l])));
    const height = Math.max(...cells.map((c) => c.length));
    return Array.from({ length: height }, (_, k) => `| ${cells.map((c, i) => (right[i] ? (c[k] ?? '').padStart(widths[i]) : (c[k] ?? '').padEnd(widths[i]))).join(' | ')} |`).join('\n');
  };
  return [rule, line(t.columns), rule, ...t.rows.map(line), rule].join('\n');
}

// --- Python's csv.writer with cliff's dialect: escapechar '\', doubled quotes, '\n' line ends

function csvField(c: Cell, quote: QuoteMode, only: boolean): string {
  if (typeof c === 'number' && quote !== 'all') return String(c);
  const text = String(c);
  if (quote === 'none') return text.replace(/[\\,"\n]/g, '\\$&');
  const escaped = text.replace(/\\/g, '\\\\');
  const quoted = quote !== 'minimal' || /[,"\n]/.test(text) || (only && text === '');
  return quoted ? `"${escaped.replace(/"/g, '""')}"` : escaped;
}

const csv = (t: Rows, quote: QuoteMode) =>
  [t.columns, ...t.rows].map((r) => r.map((c) => csvField(c, quote, r.length === 1)).join(',')).join('\n');

const records = (t: Rows) => t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i]])));

// Python's json.dump: non-ASCII escaped, and without indent ', ' and ': ' between items
const ascii = (json: string) => json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const oneLine = (t: Rows) => `[${t.rows.map((r) => `{${t.columns.map((c, i) => `${JSON.stringify(c)}: ${JSON.stringify(r[i])}`).join(', ')}}`).join(', ')}]`;

/** The rows in one format, without the final newline; '' where cliff prints nothing (a table without rows, value without rows). */
export function formatRows(t: Rows, format: RowFormat, o: RowOptions = {}): string {
  switch (format) {
    case 'table':
      return box(t, o);
    case 'json':
      return ascii(o.noindent ? oneLine(t) : JSON.stringify(records(t), null, 2));
    case 'yaml':
      return t.rows.length ? stringify(records(t), { sortMapEntries: true }).trimEnd() : '[]';
    case 'value':
      return t.rows.map((r) => r.join(' ')).join('\n');
    case 'csv':
      return csv(t, o.quote ?? 'nonnumeric');
  }
}
