/** Streamed output (cli/stream-out.ts): the same text as writing the whole answer at once. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { jsonArray, streamOut } from '../src/cli/stream-out.js';

const dir = mkdtempSync(join(tmpdir(), 'portsec-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('jsonArray', () => {
  // 0, 1, a batch exactly, a batch and one, several batches; items with nesting, empty containers and text with newlines
  test.each([0, 1, 256, 257, 1000])('%i items: JSON.stringify(items, null, 2)', async (n) => {
    const items = Array.from({ length: n }, (_, i) => ({ i, name: `port ${i}\nline`, sources: i % 3 ? [`10.0.0.${i % 250}/32`] : [], from: { kind: 'member', rule: {} } }));
    const file = join(dir, `out-${n}.json`);
    await streamOut(file, (sink) => jsonArray(sink, items));
    expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify(items, null, 2)}\n`);
  });

  test('an item that is not an object', async () => {
    const file = join(dir, 'scalars.json');
    await streamOut(file, (sink) => jsonArray(sink, (function* () { yield 'a'; yield 2; yield null; yield [1, [2]]; })()));
    expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify(['a', 2, null, [1, [2]]], null, 2)}\n`);
  });
});

test('streamOut rejects when the file cannot be written', async () => {
  await expect(streamOut(join(dir, 'no-such-dir', 'out.json'), (sink) => sink.put('x'))).rejects.toThrow(/ENOENT/);
});
