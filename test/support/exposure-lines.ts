/**
 * A reader of `exposure -f raw`'s JSON Lines (src/analysis/report/exposure-lines.ts), as a program
 * would read them line by line: each origin line kept by its ID, each row's origins resolved.
 */
import { type ObjectRef, type ExposureService } from '../../src/analysis/answers.js';
import { EXPOSURE_LINES } from '../../src/analysis/report/exposure-lines.js';
import { type ExplainedSource } from '../../src/analysis/report/explain.js';

/** A row as the lines give it, its origins resolved: the HTTP API's row. */
export type ExposureLineRow = Omit<ExposureService, 'origins'> & { port: ObjectRef; origins: ExplainedSource[] };

/** The lines read back, each row's origins resolved (as a streaming reader would, line by line). */
export function readExposureLines(text: string): { members: boolean; rows: ExposureLineRow[] } {
  const [head, ...lines] = text.split('\n').filter((l) => l);
  const { format, members } = JSON.parse(head) as { format: string; members: boolean };
  if (format !== EXPOSURE_LINES) throw new Error(`not ${EXPOSURE_LINES}: ${head}`);
  const origins = new Map<number, ExplainedSource>();
  const rows: ExposureLineRow[] = [];
  for (const line of lines) {
    const x = JSON.parse(line) as { origin: number } & ExplainedSource | Omit<ExposureLineRow, 'origins'> & { origins: number[] };
    if ('origin' in x) {
      const { origin, ...source } = x;
      origins.set(origin, source as ExplainedSource);
    } else {
      rows.push({ ...x, origins: x.origins.map((id) => origins.get(id) ?? fail(`origin ${id} named before its line`)) });
    }
  }
  return { members, rows };
}

const fail = (message: string): never => {
  throw new Error(message);
};
