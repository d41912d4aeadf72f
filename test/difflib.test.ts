/**
 * matchingBlocks (src/backends/iptables/difflib.ts) is Python's
 * difflib.SequenceMatcher(None, a, b).get_matching_blocks(), which decides what Neutron's
 * IptablesManager keeps of a chain: checked against Python itself on seeded random
 * sequences, short ones over a few lines and long ones (200+, where "popular" lines
 * drop out of the search) with repeats.
 */
import { execFileSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { matchingBlocks } from '../src/backends/iptables/difflib.js';
import { seededRandom } from '../src/model/random.js';

const PYTHON = `
import difflib, json, sys
print(json.dumps([[list(m)[:3] for m in difflib.SequenceMatcher(None, a, b).get_matching_blocks()[:-1]] for a, b in json.load(sys.stdin)]))
`;

test('matchingBlocks equals Python difflib get_matching_blocks on 400 random pairs of sequences', () => {
  const random = seededRandom(13);
  const int = (n: number) => Math.floor(random() * n);
  const cases: [string[], string[]][] = [];
  for (let i = 0; i < 400; i++) {
    const long = i % 4 === 0;
    const alphabet = long ? 2 + int(60) : 1 + int(8);
    const seq = () => Array.from({ length: long ? 150 + int(150) : int(12) }, () => `-A chain rule ${int(alphabet)}`);
    const a = seq();
    // b: mostly a, edited, as a chain after a change
    const b = random() < 0.7 ? a.filter(() => random() > 0.2).flatMap((x) => (random() < 0.15 ? [`-A chain rule ${int(alphabet)}`, x] : [x])) : seq();
    cases.push([a, b]);
  }
  const python = JSON.parse(execFileSync('/usr/bin/python3', ['-c', PYTHON], { input: JSON.stringify(cases), encoding: 'utf8' })) as number[][][];
  const ours = cases.map(([a, b]) => matchingBlocks(a, b).map((m) => [m.a, m.b, m.size]));
  expect(ours).toEqual(python);
  expect(cases.filter(([, b]) => b.length >= 200).length).toBeGreaterThan(20);
});
