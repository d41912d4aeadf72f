/** The audit as a Markdown report: a summary by severity, then each finding with its evidence and fix. */
import { type Finding, SEVERITIES } from '../answers.js';

export function markdown(findings: Finding[], source: string): string {
  const out = [`# portsec audit`, '', `Source: ${source}`, '', '| Severity | Findings |', '|---|---|'];
  for (const s of SEVERITIES) out.push(`| ${s} | ${findings.filter((f) => f.severity === s).length} |`);
  findings.forEach((f, i) => {
    out.push('', `## ${i + 1}. [${f.severity}] ${f.title}`, '', `Check: \`${f.check}\``, '', '**Evidence**', '', ...f.evidence.map((e) => `- ${e}`));
    if (f.backends) out.push('', '**Per backend**', '', ...Object.entries(f.backends).map(([b, t]) => `- ${b}: ${t}`));
    out.push('', '**Fix**', '', '```sh', ...f.fix, '```');
  });
  return `${out.join('\n')}\n`;
}
