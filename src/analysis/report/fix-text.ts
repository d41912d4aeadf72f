/** A finding's fixes as text, for every report: each proven fix's title, proof and script, or how to ask for them. */
import { type Finding } from '../answers.js';
import { fixScript } from '../fix/script.js';
import { type Fix, type FlowChange } from '../fix/types.js';

/** A flow class in a line: "tcp/80 to 10.10.10.30 (proxy) from 10.10.10.10/32 sent by nat" (many sources counted: the proof lists them). */
export const flowText = (f: FlowChange) =>
  `${f.protocol}${f.ports === 'any' ? '' : `/${f.ports}`} to ${f.destination.address}${f.destination.ports.length ? ` (${f.destination.ports.map((p) => p.name ?? p.id).join(', ')})` : ''}`
  + ` from ${f.sources.length > 2 ? `${f.sources.length} prefixes (${f.sources[0]}, …)` : f.sources.join(', ')}${f.senders.length ? ` sent by ${f.senders.map((p) => p.name ?? p.id).join(', ')}` : ''}`;

/** The proof in one line: what the fix closes, what of the finding stays open, what it opens. */
export const proofSummary = (fix: Fix) =>
  `proof: ${fix.proof.closed.length} flow class(es) closed, ${fix.proof.stayOpen.length} stay open, ${fix.proof.opened.length} opened${fix.restores?.length ? ' (restored)' : ''}; finding gone, no new finding`;

/** Without proven fixes attached (the audit proves none on its own): the command that proves and prints them. */
export function fixLines(f: Finding): string[] {
  if (!f.fixes) return [`portsec fix ${f.id}`];
  if (!f.fixes.length) return ['no proven fix'];
  return f.fixes.flatMap((fix, i) => [
    `# ${f.fixes!.length > 1 ? `${i + 1}. ` : ''}${fix.title}`,
    `# ${proofSummary(fix)}`,
    ...fix.caveats.map((c) => `# note: ${c}`),
    ...fixScript(fix.actions),
  ]);
}
