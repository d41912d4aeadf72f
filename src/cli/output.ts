/**
 * The output options every analyzer command shares, as openstackclient (cliff)
 * spells them: -f, -c, --sort-column, --fit-width, --max-width, --print-empty,
 * --quote, --noindent; and -o, a file in place of standard output. Row formats
 * carry the same columns, under the same names, as the table.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { writeFileSync } from 'node:fs';
import { formatRows, QUOTE_MODES, type QuoteMode, ROW_FORMATS, type RowFormat, type Rows, selectColumns, sortRows } from '../analysis/report/table.js';
import { OutputError } from './errors.js';

export interface OutputOptions {
  format: string;
  column?: string[];
  sortColumn?: string[];
  sortDescending?: boolean;
  maxWidth?: number;
  fitWidth?: boolean;
  printEmpty?: boolean;
  quote: QuoteMode;
  noindent?: boolean;
  output?: string;
}

const repeat = (value: string, previous: string[] = []) => [...previous, value];

function wholeNumber(text: string): number {
  if (!/^[+-]?\d+$/.test(text.trim())) throw new InvalidArgumentError(`invalid int value: '${text}'`);
  return Number(text);
}

/**
 * Adds the output options; `formats` are the command's formats beyond the row
 * formats, with what each writes (say so for one that is not rows: its shape is its own).
 */
export function addOutputOptions(cmd: Command, formats: Record<string, string> = {}): Command {
  const extra = Object.entries(formats).map(([name, what]) => `${name}: ${what}`).join('; ');
  return cmd
    .addOption(new Option('-f, --format <format>', `output format: ${ROW_FORMATS.join(', ')} (rows under the table's columns, as openstack prints them)${extra ? `; ${extra}` : ''}`)
      .choices([...ROW_FORMATS, ...Object.keys(formats)]).default('table'))
    .option('-c, --column <column>', 'a column to include, by its heading (repeat for more; default all)', repeat)
    .option('--sort-column <column>', 'a column to sort the rows by (repeat: the first decides first; unknown columns are ignored)', repeat)
    .addOption(new Option('--sort-ascending', 'sort in ascending order (default)').conflicts('sortDescending'))
    .option('--sort-descending', 'sort in descending order')
    .addOption(new Option('--max-width <integer>', 'table: the widest it may be, wrapping the widest columns (<1: no limit)')
      .argParser(wholeNumber).env('CLIFF_MAX_TERM_WIDTH'))
    .option('--fit-width', 'table: fit the terminal\'s width (implied by --max-width above 0; CLIFF_FIT_WIDTH=1 always fits)')
    .option('--print-empty', 'table: print the headings even without rows')
    .addOption(new Option('--quote <mode>', 'csv: when to quote a field').choices(QUOTE_MODES).default('nonnumeric'))
    .option('--noindent', 'json: on one line')
    .option('-o, --output <file>', 'write the answer to a file instead of standard output');
}

/** The width a table must fit, as cliff picks it: --max-width, else with --fit-width the terminal's (none when not a terminal). */
function tableWidth(o: OutputOptions): number | undefined {
  if (o.maxWidth !== undefined && o.maxWidth > 0) return o.maxWidth;
  const fit = o.fitWidth || Number.parseInt(process.env.CLIFF_FIT_WIDTH ?? '0', 10) > 0;
  return fit && !o.output && process.stdout.isTTY ? process.stdout.columns : undefined;
}

/**
 * Rows in the chosen row format, sorted then narrowed to -c as cliff does. The
 * table alone carries `table.before` and `table.after` (what a person reads
 * around it) and says `table.empty` where there are no rows.
 */
export function rowsText(o: OutputOptions, rows: Rows, table: { before?: string[]; after?: string[]; empty?: string } = {}): string {
  const format = o.format as RowFormat;
  const shown = selectColumns(sortRows(rows, o.sortColumn, o.sortDescending), o.column);
  const text = formatRows(shown, format, { width: tableWidth(o), printEmpty: o.printEmpty, quote: o.quote, noindent: o.noindent });
  if (format !== 'table') return text;
  const body = text || (o.printEmpty ? '' : table.empty ?? '');
  return [...(table.before ?? []), body, ...(table.after ?? [])].join('\n');
}

/** Writes the answer, with a final newline, to -o's file or standard output (whose errors main.ts handles). */
export function emit(o: { output?: string }, text: string): void {
  const out = text.endsWith('\n') || text === '' ? text : `${text}\n`;
  if (!o.output) {
    process.stdout.write(out);
    return;
  }
  try {
    writeFileSync(o.output, out);
  } catch (e) {
    throw new OutputError(o.output, e);
  }
}
