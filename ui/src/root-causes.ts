/**
 * Findings folded under their root cause, the worst first: ten NAT servers' wide pairs
 * are ten causes, not a hundred critical entries. The analyzer decides what follows from
 * what (audit/fold.ts: `rootCause` on a derived finding); the console only groups by it.
 */
import { type Finding, SEVERITIES } from '../../src/analysis/answers.js';
import { worst } from './graph/marks.js';

export interface RootCause {
  key: string;
  /** the finding that stands for the cause */
  root: Finding;
  /** every finding of the cause, the root first */
  findings: Finding[];
}

const rank = (f: Finding) => SEVERITIES.indexOf(f.severity);

export function rootCauses(findings: readonly Finding[]): RootCause[] {
  const byCause = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = f.rootCause ?? f.id;
    byCause.set(key, [...(byCause.get(key) ?? []), f]);
  }
  const causes = [...byCause].map(([key, fs]): RootCause => {
    const root = fs.find((f) => f.id === key) ?? worst(fs)!;
    return { key, root, findings: [root, ...fs.filter((f) => f !== root).sort((a, b) => rank(a) - rank(b))] };
  });
  return causes.sort((a, b) => rank(worst(a.findings)!) - rank(worst(b.findings)!) || b.findings.length - a.findings.length);
}
