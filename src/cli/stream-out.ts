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

/**
 * Items as one JSON array, the text `JSON.stringify(items, null, 2)` gives, a batch of items at a time.
 * `shared`: an array field whose elements many items hold (exposure's origins, one per rule on every
 * port holding it): each element's text is made once and reused (bench/audit: 2.8 GB at 100,000 ports).
 */
export async function jsonArray(sink: Sink, items: Iterable<unknown>, shared?: string): Promise<void> {
  let first = true;
  let batch: unknown[] = [];
  const text = shared === undefined ? batchText : sharedText(shared);
  const put = async () => {
    await sink.put(`${first ? '[\n' : ',\n'}${text(batch)}`);
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

// a batch's own array text less its "[\n" and "\n]": the items already indented one level, as in the whole array
const batchText = (batch: unknown[]): string => JSON.stringify(batch, null, 2).slice(2, -2);

function sharedText(key: string): (batch: unknown[]) => string {
  const texts = new WeakMap<object, string>();
  const elementText = (x: object): string => {
    let t = texts.get(x);
    // an element of an item's field sits three levels deep
    if (t === undefined) texts.set(x, (t = JSON.stringify(x, null, 2).replaceAll('\n', '\n      ')));
    return t;
  };
  const empty = `"${JSON.stringify(key).slice(1, -1)}": []`;
  return (batch) => batch.map((item) => {
    const list = (item as Record<string, unknown>)[key];
    if (!Array.isArray(list) || !list.length || !list.every((x) => typeof x === 'object' && x !== null)) return batchText([item]);
    // an emptied field's text appears once, unquoted, where the item's own key is: string values escape their quotes
    return batchText([{ ...(item as object), [key]: [] }]).replace(empty, `${empty.slice(0, -2)}[\n      ${(list as object[]).map(elementText).join(',\n      ')}\n    ]`);
  }).join(',\n');
}
