/**
 * A baseline: the ids of the findings a cloud had when someone accepted them, one a line,
 * so a CI job fails on what is new only. `--write-baseline` writes it, `--baseline` reads it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { type Finding } from '../answers.js';
import { InputError } from '../sources/errors.js';

/** Lines starting with # and blank lines are comments. */
export function readBaseline(path: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read the baseline ${path}: ${(e as Error).message}`);
  }
  return new Set(text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')));
}

/** Every finding's id, derived ones too: a baseline accepts the cloud as it is. */
export function writeBaseline(path: string, findings: readonly Finding[], source: string): void {
  const ids = [...new Set(findings.map((f) => f.id))].sort();
  writeFileSync(path, [`# portsec audit baseline: ${ids.length} findings of ${source}; \`portsec audit --baseline ${path}\` leaves them out`, ...ids, ''].join('\n'));
}
