/** Which objects the findings point at, and the worst severity on each. */
import { type Finding, type Severity, SEVERITIES } from '../../../src/analysis/answers.js';

export type Marks = Map<string, Finding[]>;

export function marksOf(findings: Finding[]): Marks {
  const marks: Marks = new Map();
  for (const f of findings) {
    for (const o of f.objects) {
      const list = marks.get(o.id) ?? [];
      if (!list.includes(f)) list.push(f);
      marks.set(o.id, list);
    }
  }
  return marks;
}

export function worst(findings: Finding[] | undefined): Finding | undefined {
  let best: Finding | undefined;
  for (const f of findings ?? []) if (!best || SEVERITIES.indexOf(f.severity) < SEVERITIES.indexOf(best.severity)) best = f;
  return best;
}

/** The graph draws critical and high findings in red, medium in amber; lower ones only in the lists. */
export function drawnSeverity(s: Severity | undefined): 'red' | 'amber' | undefined {
  if (s === 'critical' || s === 'high') return 'red';
  return s === 'medium' ? 'amber' : undefined;
}

/**
 * Checks whose finding is an ALLOW the rules' authors did not write: a member
 * address that widens what a rule naming its group admits (a wide pair, a
 * stale member, a shared wildcard). A rule such a finding names admits what it
 * does only through the finding.
 */
const WIDENING = new Set(['wide-pair-in-remote-group', 'wide-pair-in-default-group', 'wide-pair-pinned-to-mac', 'stale-members', 'ovs-shared-wildcard-member']);

export const isWidening = (f: Finding): boolean => WIDENING.has(f.check);

/** The worst of the findings through which a rule they name admits more than written, if any. */
export function throughFinding(findings: Finding[] | undefined): Finding | undefined {
  return worst(findings?.filter(isWidening));
}

/**
 * The finding through which a remote-group rule matched a member's allowed-address
 * pair: a widening finding naming both the rule and the member's port.
 */
export function memberThrough(marks: Marks, rule: { kind: string; rule?: { id: string } }, member: { port: { id: string }; via: string } | undefined): Finding | undefined {
  if (!member || member.via !== 'allowed-address-pair' || rule.kind !== 'group' || !rule.rule) return undefined;
  return throughFinding(marks.get(rule.rule.id)?.filter((f) => f.objects.some((o) => o.id === member.port.id)));
}
