/** The analyzer's findings: severity, affected objects, evidence, and the fix as openstack commands. */
import { type Finding, type Severity, SEVERITIES } from '../../../src/analysis/answers.js';
import { fixLines } from '../../../src/analysis/report/fix-text.js';
import type { CloudIndex } from '../cloud-index.js';
import { BackendBadge, CopyButton, type Navigate, ObjectLink, SeverityChip } from './common.js';

export function FindingCard({ finding, index, nav, headingLevel = 3 }: { finding: Finding; index: CloudIndex; nav: Navigate; headingLevel?: 3 | 4 }) {
  const H = headingLevel === 3 ? 'h3' : 'h4';
  // the proven fixes when the answer carries them, else the command that proves and prints them
  const fix = fixLines(finding).join('\n');
  return (
    <article class={`finding finding-${finding.severity}`} data-check={finding.check}>
      <H><SeverityChip severity={finding.severity} /> {finding.title}</H>
      <p class="meta">check <code>{finding.check}</code>{finding.backend && <> · assumes <BackendBadge backend={finding.backend} /></>}</p>
      <p class="objects">
        {finding.objects.map((o) => <ObjectLink key={`${o.type}:${o.id}`} o={o} index={index} nav={nav} />)}
      </p>
      {finding.evidence.length > 0 && (
        <ul class="evidence">{finding.evidence.map((e) => <li key={e}>{e}</li>)}</ul>
      )}
      <div class="fix">
        <div class="fix-head"><strong>Fix</strong><CopyButton text={fix} what={`the fix for: ${finding.title}`} /></div>
        <pre tabIndex={0} aria-label="fix commands">{fix}</pre>
      </div>
      {finding.backends && (
        <details>
          <summary>How each backend behaves</summary>
          <dl>{Object.entries(finding.backends).map(([b, text]) => [<dt key={`t${b}`}>{b}</dt>, <dd key={`d${b}`}>{text}</dd>])}</dl>
        </details>
      )}
    </article>
  );
}

export function FindingsView({ findings, error, index, nav }: { findings: Finding[]; error?: string; index: CloudIndex; nav: Navigate }) {
  const counts = new Map<Severity, number>();
  for (const f of findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  const sorted = [...findings].sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
  return (
    <section class="findings-view" aria-labelledby="findings-title">
      <h2 id="findings-title">Findings</h2>
      {error && <p class="error" role="alert">The analyzer did not answer: {error}</p>}
      <p class="summary">
        {findings.length === 0 ? 'No findings.' : SEVERITIES.filter((s) => counts.has(s)).map((s) => (
          <span key={s} class="count"><SeverityChip severity={s} /> {counts.get(s)}</span>
        ))}
      </p>
      {sorted.map((f, i) => <FindingCard key={`${f.check}:${i}`} finding={f} index={index} nav={nav} />)}
    </section>
  );
}
