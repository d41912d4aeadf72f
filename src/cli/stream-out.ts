/**
 * Output written while it is produced: standard output or the `-o` file, in
 * chunks, waiting when the reader is slower. bench/audit: `exposure -f json`
 * of 100,000 ports is gigabytes of text; held whole (rows, then one string) it
 * ran out of memory.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { type Writable } from 'node:stream';

/** Text is handed to the stream in pieces of about this size: a write per row costs more than the row. */
const CHUNK = 1 << 20;

export interface Sink {
  put(text: string): Promise<void>;
}

/** Runs `produce` with a sink onto the file (replaced) or standard output, and waits until everything is written. */
export async function streamOut(file: string | undefined, produce: (sink: Sink) => Promise<void>): Promise<void> {
  const out: Writable = file ? createWriteStream(file) : process.stdout;
  const failed = file ? once(out, 'error').then(([e]) => Promise.reject(e as Error)) : undefined;
  failed?.catch(() => undefined);
  let pending = '';
  const flush = async () => {
    const text = pending;
    pending = '';
    if (text && !out.write(text)) await (failed ? Promise.race([once(out, 'drain'), failed]) : once(out, 'drain'));
  };
  await produce({
    put: async (text) => {
      pending += text;
      if (pending.length >= CHUNK) await flush();
    },
  });
  await flush();
  if (file) {
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
  }
}

/** Items per JSON.stringify call: few enough to stay small, many enough that the calls cost little. */
const BATCH = 256;

/** Items as one JSON array, the text `JSON.stringify(items, null, 2)` gives, a batch of items at a time. */
export async function jsonArray(sink: Sink, items: Iterable<unknown>): Promise<void> {
  let first = true;
  let batch: unknown[] = [];
  const put = async () => {
    // a batch's own array text less its "[\n" and "\n]": the items already indented one level, as in the whole array
    const text = JSON.stringify(batch, null, 2);
    await sink.put(`${first ? '[\n' : ',\n'}${text.slice(2, -2)}`);
    first = false;
    batch = [];
  };
  for (const item of items) {
    batch.push(item);
    if (batch.length === BATCH) await put();
  }
  if (batch.length) await put();
  await sink.put(first ? '[]\n' : '\n]\n');
}
