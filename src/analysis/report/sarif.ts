/**
 * Findings as SARIF 2.1.0 for code scanning: one rule per check, one result
 * per finding, the affected Neutron objects as logical locations.
 */
import { type NeutronBackend } from '../../policy/neutron-backends.js';
import { type DiffRow, type Finding, type Severity } from '../answers.js';
import { findingId } from '../finding-id.js';
import { fixLines } from './fix-text.js';
import { type AuditBackend, diffHeadline, diffSideSentences, plainText, reachCommand } from './explain.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };
const SCORE: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

/** What the run assumed: an audit's backends (auditBackends), or a diff's two ends. */
export type SarifRun = { audit: readonly AuditBackend[] } | { diff: { backend: NeutronBackend; to_backend: NeutronBackend } };

export function sarif(findings: Finding[], source: string, version: string, run: SarifRun): object {
  const checks = [...new Set(findings.map((f) => f.check))].sort();
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'portsec',
          version,
          informationUri: 'https://docs.openstack.org/neutron/latest/admin/config-address-pairs.html',
          rules: checks.map((id) => {
            const f = findings.find((x) => x.check === id)!;
            return { id, name: id.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase()), shortDescription: { text: id.replace(/-/g, ' ') }, properties: { 'security-severity': SCORE[f.severity] } };
          }),
        },
      },
      automationDetails: { id: `portsec/${'diff' in run ? 'diff' : 'audit'}/${source}` },
      // the firewalls the run's verdicts assume: a diff's two ends, or each backend an audit used with its counts (each result names its own)
      properties: 'diff' in run ? run.diff : { backends: Object.fromEntries(run.audit.map(({ backend, ...counts }) => [backend, counts])) },
      results: findings.map((f) => ({
        ruleId: f.check,
        ruleIndex: checks.indexOf(f.check),
        level: LEVEL[f.severity],
        message: { text: [f.title, ...f.evidence, 'Fix:', ...fixLines(f)].join('\n') },
        locations: [{
          logicalLocations: f.objects.slice(0, 1).map((o) => ({ name: o.name ?? o.id, fullyQualifiedName: `${o.type}/${o.id}`, kind: 'resource' })),
          physicalLocation: { artifactLocation: { uri: `openstack/${f.objects[0]?.type ?? 'cloud'}/${f.objects[0]?.id ?? 'cloud'}` } },
        }],
        relatedLocations: f.objects.slice(1).map((o, i) => ({ id: i + 1, logicalLocations: [{ name: o.name ?? o.id, fullyQualifiedName: `${o.type}/${o.id}`, kind: 'resource' }] })),
        partialFingerprints: { primaryLocationLineHash: `${f.check}:${f.objects.map((o) => o.id).join(',')}` },
        properties: { severity: f.severity, ...(f.fixes ? { fixes: f.fixes } : { fix: `portsec fix ${f.id}` }), ...(f.backend ? { backend: f.backend } : {}), ...(f.backends ? { backends: f.backends } : {}) },
      })),
    }],
  };
}

/**
 * A diff's rows as findings, one per flow class: a flow the new backend opens is
 * high, one it breaks medium; the fix is what would let a denied flow through.
 */
export function diffFindings(rows: DiffRow[]): Finding[] {
  return rows.map((r) => {
    const opened = r.to.verdict === 'ALLOW';
    const check = opened ? 'flow-opened-by-backend' : 'flow-blocked-by-backend';
    return {
      id: findingId(check, [r.destination.address, r.ethertype, r.protocol, r.ports, ...r.sources, ...r.senders.map((s) => s.id)]),
      check,
      severity: opened ? 'high' : 'medium',
      title: diffHeadline(r),
      objects: [...r.destination.ports, ...r.senders],
      evidence: [
        `sources: ${r.sources.join(', ')}`,
        ...(['from', 'to'] as const).map((w) => `${r[w].backend}: ${r[w].verdict}: ${diffSideSentences(r, w).map(plainText).join('; ')}`),
        `check: ${reachCommand(r, r.from.backend)}; ${reachCommand(r, r.to.backend)}`,
        ...(opened ? [] : r.to.changes.map((c) => `to let it through on ${r.to.backend}: ${c.command}`)),
      ],
      fixes: [],
      backend: r.to.backend,
    };
  });
}
