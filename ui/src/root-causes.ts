/**
 * Findings folded under their root cause, the worst first: ten NAT servers'
 * wide pairs are ten causes, not a hundred critical entries. The analyzer names
 * a finding's root cause (`rootCause`, the root's id) where it knows it; until
 * it does, a wide-pair finding's cause is its (port, pair), a finding about a
 * rule that admits more only through a widening finding (the admin port open
 * to the Internet through the NAT server's pair) follows that finding's cause,
 * and every other finding is its own.
 */
import { type Finding, SEVERITIES } from '../../src/analysis/answers.js';
import { isWidening, worst } from './graph/marks.js';

/** What the analyzer may add to a finding: the id of the finding it follows from, and whether it is such a follower. */
type Folded = Finding & { rootCause?: string | { id: string }; derived?: boolean };

export interface RootCause {
  key: string;
  /** the finding that stands for the cause (the root, else the worst) */
  root: Finding;
  /** every finding of the cause, the root first */
  findings: Finding[];
}

const WIDE_PAIR = /^wide-pair-/;

function causeOf(f: Folded): string {
  const named = typeof f.rootCause === 'string' ? f.rootCause : f.rootCause?.id;
  if (named) return named;
  if (f.derived === undefined && WIDE_PAIR.test(f.check)) {
    const port = f.objects.find((o) => o.type === 'port')?.id;
    const pair = /allowed-address pair (\S+)/.exec(f.title)?.[1];
    if (port && pair) return `${port} ${pair}`;
  }
  return f.id;
}

const rank = (f: Finding) => SEVERITIES.indexOf(f.severity);

/** A finding that does not name its cause, about a rule a widening finding widens: that finding's cause. */
function throughRule(f: Folded, widened: Map<string, string>): string | undefined {
  if (f.rootCause !== undefined || f.derived !== undefined || isWidening(f)) return undefined;
  for (const o of f.objects) if (o.type === 'security_group_rule' && widened.has(o.id)) return widened.get(o.id);
  return undefined;
}

export function rootCauses(findings: readonly Finding[]): RootCause[] {
  const widened = new Map<string, string>();
  for (const f of findings) {
    if (!isWidening(f)) continue;
    for (const o of f.objects) if (o.type === 'security_group_rule' && !widened.has(o.id)) widened.set(o.id, causeOf(f as Folded));
  }
  const byCause = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = throughRule(f as Folded, widened) ?? causeOf(f as Folded);
    byCause.set(key, [...(byCause.get(key) ?? []), f]);
  }
  const causes = [...byCause].map(([key, fs]): RootCause => {
    const root = fs.find((f) => f.id === key) ?? fs.find(isWidening) ?? fs.find((f) => !(f as Folded).derived && !(f as Folded).rootCause) ?? worst(fs)!;
    return { key, root, findings: [root, ...fs.filter((f) => f !== root).sort((a, b) => rank(a) - rank(b))] };
  });
  return causes.sort((a, b) => rank(worst(a.findings)!) - rank(worst(b.findings)!) || b.findings.length - a.findings.length);
}
