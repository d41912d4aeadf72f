/** Reports as Markdown: the audit (a summary by severity, then each finding with its evidence and fix) and a can-reach trace. */
import { type DiffRow, type Finding, type ReachAnswer, SEVERITIES } from '../answers.js';
import { type NeutronBackend } from '../../policy/neutron-backends.js';
import { fixLines } from './fix-text.js';
import { type AuditBackend, auditBackendLines, backendLine, diffHeadline, diffSideSentences, headline, type Phrase, reachBackendLines, reachCommand, refLabel, stepSentences } from './explain.js';

/**
 * `backends`: each backend the run used (auditBackends); each finding then says the one it assumes.
 * `summary`: what the report leaves out (the triage's lines).
 */
export function markdown(findings: Finding[], source: string, backends: readonly AuditBackend[], summary: readonly string[] = []): string {
  const out = [`# portsec audit`, '', `Source: ${source}`, '', ...auditBackendLines(backends).map(escape), '', '| Severity | Findings |', '|---|---|'];
  for (const s of SEVERITIES) out.push(`| ${s} | ${findings.filter((f) => f.severity === s).length} |`);
  if (summary.length) out.push('', ...summary.map((l) => `- ${escape(l)}`));
  findings.forEach((f, i) => {
    out.push('', `## ${i + 1}. [${f.severity}] ${f.title}`, '', `Check: \`${f.check}\``, '', ...(f.backend ? [`Assumes ${escape(backendLine(f.backend))}`, ''] : []), '**Evidence**', '', ...f.evidence.map((e) => `- ${e}`));
    if (f.derived) out.push('', `${f.derived.length} derived finding(s) follow from this root cause: ${f.derived.map((id) => `\`${id}\``).join(', ')}`);
    if (f.rootCause) out.push('', `Follows from \`${f.rootCause}\``);
    if (f.backends) out.push('', '**Per backend**', '', ...Object.entries(f.backends).map(([b, t]) => `- ${b}: ${t}`));
    out.push('', '**Fix**', '', '```sh', ...fixLines(f), '```');
  });
  return `${out.join('\n')}\n`;
}

// only what could start emphasis, code, links or HTML inside a list item's line
const escape = (text: string) => text.replace(/[\\`*_[\]<]/g, '\\$&');

/** A phrase in Markdown: the objects it names in bold. */
const markdownPhrase = (p: Phrase): string => p.map((x) => (typeof x === 'string' ? escape(x) : `**${escape(refLabel(x))}**`)).join('');

export function reachMarkdown(a: ReachAnswer): string {
  const out = [`# portsec can-reach`, '', `**${escape(headline(a))}**`, '', ...reachBackendLines(a).map(escape), ''];
  a.steps.forEach((s, i) => {
    const [first, ...more] = stepSentences(s).map(markdownPhrase);
    out.push(`${i + 1}. ${s.ok ? '✓' : '✗ blocked at'} ${s.stage}: ${first}`, ...more.map((m) => `   - ${m}`));
  });
  if (a.changes.length) {
    out.push('', '## To allow it, change', '');
    for (const c of a.changes) out.push(`- ${escape(c.why)}:`, '', '  ```sh', `  ${c.command}`, '  ```', '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** A migration's diff: each flow class whose verdict changes, with each side's reason and the command that asks its flow. */
export function diffMarkdown(rows: DiffRow[], source: string, from: NeutronBackend, to: NeutronBackend): string {
  const out = ['# portsec diff', '', `Source: ${source}`, '', `- from ${escape(backendLine(from))}`, `- to ${escape(backendLine(to))}`, '',
    rows.length ? `${rows.length} flow class${rows.length === 1 ? ' changes' : 'es change'} verdict.` : 'No flow changes verdict.'];
  rows.forEach((r, i) => {
    out.push('', `## ${i + 1}. ${escape(diffHeadline(r))}`, '', `Sources: ${r.sources.map((c) => `\`${c}\``).join(', ')}`, '');
    for (const [side, which] of [[r.from, 'from'], [r.to, 'to']] as const) {
      out.push(`**${side.backend}: ${side.verdict}**`, '', ...diffSideSentences(r, which).map((p) => `- ${markdownPhrase(p)}`), '');
    }
    out.push('Check one flow of the class:', '', '```sh', reachCommand(r, from), reachCommand(r, to), '```');
  });
  return `${out.join('\n')}\n`;
}
