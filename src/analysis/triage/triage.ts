/**
 * What an audit reports: its findings less those in the baseline, those suppressed (with
 * their reasons, which SARIF carries), and those below --min-severity; derived findings
 * folded under a reported root cause unless asked for. `--fail-on` judges what is reported.
 */
import { type Finding, type Severity, SEVERITIES } from '../answers.js';
import { readBaseline } from './baseline.js';
import { inForce, matches, readSuppressions, type Suppression } from './suppressions.js';

export interface TriageOptions {
  minSeverity?: Severity;
  baseline?: ReadonlySet<string>;
  suppressions?: readonly Suppression[];
  /** list derived findings beside their roots instead of folding them */
  showDerived?: boolean;
  now?: Date;
}

export interface Suppressed {
  finding: Finding;
  reason: string;
}

export interface Triage {
  /** every finding reported, derived ones too; a root's `derived` lists the reported ones only */
  reported: Finding[];
  /** what tables, Markdown and SARIF list: the reported root causes (all reported with showDerived) */
  shown: Finding[];
  suppressed: Suppressed[];
  /** one line each: what was left out and why */
  summary: string[];
}

const rank = (s: Severity) => SEVERITIES.indexOf(s);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The CLI's options as triage options: the files read, the input errors thrown. */
export function triageOptions(o: { minSeverity?: Severity; baseline?: string; suppressions?: string; showDerived?: boolean }): TriageOptions {
  return {
    ...(o.minSeverity && { minSeverity: o.minSeverity }),
    ...(o.baseline && { baseline: readBaseline(o.baseline) }),
    ...(o.suppressions && { suppressions: readSuppressions(o.suppressions) }),
    showDerived: o.showDerived === true,
  };
}

export function triage(findings: readonly Finding[], o: TriageOptions = {}): Triage {
  const now = o.now ?? new Date();
  const active = (o.suppressions ?? []).filter((s) => inForce(s, now));
  const expired = (o.suppressions ?? []).filter((s) => !inForce(s, now));
  const byId = new Map(active.length ? findings.map((f) => [f.id, f]) : []);
  /** a root cause's suppression covers what follows from it */
  const suppression = (f: Finding): Suppression | undefined => {
    const own = active.find((s) => matches(s, f));
    const root = f.rootCause ? byId.get(f.rootCause) : undefined;
    return own ?? (root && active.find((s) => matches(s, root)));
  };
  const suppressed: Suppressed[] = [];
  const used = new Set<Suppression>();
  let baselined = 0;
  let below = 0;
  const kept = findings.filter((f) => {
    if (o.baseline?.has(f.id)) return (baselined++, false);
    const s = suppression(f);
    if (s) return (used.add(s), suppressed.push({ finding: f, reason: s.reason }), false);
    if (o.minSeverity && rank(f.severity) > rank(o.minSeverity)) return (below++, false);
    return true;
  });
  const keptIds = new Set(kept.length === findings.length ? [] : kept.map((f) => f.id));
  // a root left out leaves its derived findings standing on their own
  const reported = kept.length === findings.length ? kept : kept.map((f): Finding => {
    if (!f.rootCause && !f.derived) return f;
    const { rootCause, derived, ...rest } = f;
    const under = derived?.filter((id) => keptIds.has(id));
    return { ...rest, ...(rootCause && keptIds.has(rootCause) ? { rootCause } : {}), ...(under?.length ? { derived: under } : {}) };
  });
  const shown = o.showDerived ? reported : reported.filter((f) => !f.rootCause);
  const folded = reported.length - shown.length;
  const summary = [
    ...(folded ? [`${plural(folded, 'derived finding')} folded under ${plural(shown.filter((f) => f.derived).length, 'root cause')} (--show-derived lists them)`] : []),
    ...(below ? [`${plural(below, 'finding')} below --min-severity ${o.minSeverity}`] : []),
    ...(baselined ? [`${plural(baselined, 'finding')} in the baseline`] : []),
    ...(suppressed.length ? [`${plural(suppressed.length, 'finding')} suppressed`] : []),
    ...expired.map((s) => `suppression of ${s.id ?? `${s.check} on ${s.object}`} expired on ${s.expires}: reported again`),
    ...active.filter((s) => !used.has(s)).map((s) => `suppression of ${s.id ?? `${s.check} on ${s.object}`} matches no finding`),
  ];
  return { reported, shown, suppressed, summary };
}

/** Whether --fail-on's severity is met by a reported finding (folded ones count: they are reported under their root). */
export const failsOn = (t: Triage, severity: Severity): boolean => t.reported.some((f) => rank(f.severity) <= rank(severity));
