/** The analyzer's findings under their root causes: severity, affected objects, evidence, and the fix as openstack commands. */
import { useEffect, useRef } from 'preact/hooks';
import { type Finding, type Severity, SEVERITIES } from '../../../src/analysis/answers.js';
import { fixLines } from '../../../src/analysis/report/fix-text.js';
import type { CloudIndex } from '../cloud-index.js';
import { worst } from '../graph/marks.js';
import { type RootCause, rootCauses } from '../root-causes.js';
import { ProvenFixes } from './ProvenFixes.js';
import { BackendBadge, CopyButton, type Navigate, ObjectLink, SeverityChip } from './common.js';

export function FindingCard({ finding, index, nav, headingLevel = 3 }: { finding: Finding; index: CloudIndex; nav: Navigate; headingLevel?: 3 | 4 }) {
  const H = headingLevel === 3 ? 'h3' : 'h4';
  // the proven fixes when the answer carries them, else the command that proves and prints them
  const fix = fixLines(finding).join('\n');
  return (
    <article class={`finding finding-${finding.severity}`} data-check={finding.check} data-id={finding.id} tabIndex={-1}>
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
        <ProvenFixes findingId={finding.id} title={finding.title} />
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

/** A root cause: its finding in full, the findings that follow from it folded beneath (open when one of them is asked for). */
export function CauseCard({ cause, index, nav, focus }: { cause: RootCause; index: CloudIndex; nav: Navigate; focus?: string }) {
  const more = cause.findings.slice(1);
  const top = worst(cause.findings)!;
  return (
    <section class="cause" data-cause={cause.key} data-count={cause.findings.length} aria-label={`Root cause: ${cause.root.title}`}>
      <FindingCard finding={cause.root} index={index} nav={nav} />
      {more.length > 0 && (
        <details open={more.some((f) => f.id === focus)}>
          <summary>{more.length} more finding{more.length === 1 ? '' : 's'} from this cause (worst <SeverityChip severity={top.severity} />)</summary>
          {more.map((f) => <FindingCard key={f.id} finding={f} index={index} nav={nav} headingLevel={4} />)}
        </details>
      )}
    </section>
  );
}

export function FindingsView({ findings, error, index, nav, focus }: { findings: Finding[]; error?: string; index: CloudIndex; nav: Navigate; focus?: string }) {
  const counts = new Map<Severity, number>();
  for (const f of findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  const causes = rootCauses(findings);
  const view = useRef<HTMLElement>(null);
  // the finding a link asked for (the same card may be drawn beside the graph too: this view's own)
  useEffect(() => {
    const card = focus ? view.current?.querySelector<HTMLElement>(`[data-id="${CSS.escape(focus)}"]`) : undefined;
    card?.scrollIntoView({ block: 'start' });
    card?.focus();
  }, [focus]);
  return (
    <section class="findings-view" aria-labelledby="findings-title" ref={view}>
      <h2 id="findings-title">Findings</h2>
      {error && <p class="error" role="alert">The analyzer did not answer: {error}</p>}
      <p class="summary">
        {findings.length === 0 ? 'No findings.' : <>
          <span class="count">{causes.length} root cause{causes.length === 1 ? '' : 's'} of {findings.length} finding{findings.length === 1 ? '' : 's'}:</span>
          {SEVERITIES.filter((s) => counts.has(s)).map((s) => <span key={s} class="count"><SeverityChip severity={s} /> {counts.get(s)}</span>)}
        </>}
      </p>
      {causes.map((c) => <CauseCard key={c.key} cause={c} index={index} nav={nav} focus={focus} />)}
    </section>
  );
}
