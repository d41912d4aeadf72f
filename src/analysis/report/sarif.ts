/**
 * Findings as SARIF 2.1.0 for code scanning: one rule per check, one result
 * per finding, the affected Neutron objects as logical locations. Written as a
 * stream, one result at a time, within GitHub code scanning's limits: the most
 * severe results first until the run's cap or the file's size is reached, the
 * rest counted in a notification; suppressed findings as results carrying their
 * suppression and its reason.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { type Writable } from 'node:stream';
import { type NeutronBackend } from '../../policy/neutron-backends.js';
import { type DiffRow, type Finding, type Severity, SEVERITIES } from '../answers.js';
import { findingId } from '../finding-id.js';
import { fixLines as fixText } from './fix-text.js';
import { type Suppressed } from '../triage/triage.js';
import { type AuditBackend, diffHeadline, diffSideSentences, plainText, reachCommand } from './explain.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };
const SCORE: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

/**
 * GitHub code scanning takes at most 25,000 results per run and shows the top 5,000 by
 * severity, keeps 100 of at most 1,000 locations per result, and takes files up to 10 MB
 * (gzip-compressed; kept uncompressed here, so the file uploads as it stands). 5,000 results
 * fit in 10 MB at about 2 KB each: a result keeps 5 locations (its message names the rest)
 * and a message of a few lines (the full finding is in `portsec audit -f json`).
 */
export interface SarifLimits {
  results: number;
  locations: number;
  bytes: number;
}
export const SARIF_LIMITS: SarifLimits = { results: 5_000, locations: 5, bytes: 10_000_000 };
export const MAX_RESULTS = 25_000;
const MESSAGE_LINES = 6;
const LINE_CHARS = 240;

/** What the run assumed: an audit's backends (auditBackends), or a diff's two ends. */
export type SarifRun = { audit: readonly AuditBackend[] } | { diff: { backend: NeutronBackend; to_backend: NeutronBackend } };

export interface SarifInput {
  /** in report order (triage's shown findings, or a diff's) */
  findings: readonly Finding[];
  suppressed?: readonly Suppressed[];
  /** lines saying what the report left out (triage's summary), each a notification */
  summary?: readonly string[];
  source: string;
  version: string;
  run: SarifRun;
}

export interface SarifWritten {
  results: number;
  leftOut: number;
  bytes: number;
}

const location = (o: Finding['objects'][number]) => ({ ...(o.name ? { name: o.name } : {}), fullyQualifiedName: `${o.type}/${o.id}`, kind: 'resource' });

/** A few lines of the finding's evidence, each cut short, saying where the rest is. */
function clipped(lines: readonly string[], id: string): string[] {
  const kept = lines.slice(0, MESSAGE_LINES).map((l) => (l.length > LINE_CHARS ? `${l.slice(0, LINE_CHARS - 1)}…` : l));
  return lines.length > MESSAGE_LINES ? [...kept, `… ${lines.length - MESSAGE_LINES} more lines (portsec audit -f json: ${id})`] : kept;
}

/** The fix whole or not at all: part of a script must never be run as if it were all of it. */
function fixLines(f: Finding): string[] {
  const lines = fixText(f);
  return lines.length <= MESSAGE_LINES && lines.every((l) => l.length <= LINE_CHARS) ? ['Fix:', ...lines] : [`Fix: ${f.fixes?.length ?? 0} proven fix(es), ${lines.length} lines (portsec fix ${f.id})`];
}

function result(f: Finding, ruleIndex: number, limits: SarifLimits, suppression?: string): object {
  const related = f.objects.slice(1, limits.locations);
  return {
    ruleId: f.check,
    ruleIndex,
    level: LEVEL[f.severity],
    message: {
      text: [f.title, ...clipped(f.evidence, f.id),
        ...(f.derived ? [`${f.derived.length} derived finding(s) follow from this root cause (portsec audit --show-derived lists them)`] : []),
        ...(f.rootCause ? [`follows from ${f.rootCause}`] : []),
        ...fixLines(f)].join('\n'),
    },
    locations: [{
      logicalLocations: f.objects.slice(0, 1).map(location),
      physicalLocation: { artifactLocation: { uri: `openstack/${f.objects[0]?.type ?? 'cloud'}/${f.objects[0]?.id ?? 'cloud'}` } },
    }],
    relatedLocations: related.map((o, i) => ({ id: i + 1, logicalLocations: [location(o)] })),
    // the finding's id is the check and a hash of its objects: stable from run to run
    partialFingerprints: { primaryLocationLineHash: f.id },
    ...(suppression === undefined ? {} : { suppressions: [{ kind: 'external', justification: suppression }] }),
    properties: {
      id: f.id, severity: f.severity, ...(f.backend ? { backend: f.backend } : {}),
      ...(f.rootCause ? { rootCause: f.rootCause } : {}), ...(f.derived ? { derived: f.derived.length } : {}),
      ...(f.objects.length > related.length + 1 ? { objectsLeftOut: f.objects.length - related.length - 1 } : {}),
    },
  };
}

const rank = (f: Finding) => SEVERITIES.indexOf(f.severity);

/**
 * The log, written to `out` a result at a time: most severe first, roots before what
 * follows from them, suppressed findings last; results past the cap or the size limit are
 * left out and counted in the invocation's notifications.
 */
export async function writeSarif(out: Writable, input: SarifInput, limits: SarifLimits = SARIF_LIMITS): Promise<SarifWritten> {
  const candidates = [
    ...[...input.findings].sort((a, b) => rank(a) - rank(b) || Number(!!a.rootCause) - Number(!!b.rootCause)).map((finding) => ({ finding, reason: undefined })),
    ...[...(input.suppressed ?? [])].sort((a, b) => rank(a.finding) - rank(b.finding)),
  ];
  const checks = [...new Set(candidates.map((c) => c.finding.check))].sort();
  // a rule's score: its most severe finding's
  const severityOf = new Map<string, Severity>();
  for (const { finding: f } of candidates) if (!severityOf.has(f.check) || rank(f) < SEVERITIES.indexOf(severityOf.get(f.check)!)) severityOf.set(f.check, f.severity);
  const { run } = input;
  const head = {
    tool: {
      driver: {
        name: 'portsec',
        version: input.version,
        informationUri: 'https://docs.openstack.org/neutron/latest/admin/config-address-pairs.html',
        rules: checks.map((id) => ({ id, name: id.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase()), shortDescription: { text: id.replace(/-/g, ' ') }, properties: { 'security-severity': SCORE[severityOf.get(id)!] } })),
      },
    },
    automationDetails: { id: `portsec/${'diff' in run ? 'diff' : 'audit'}/${input.source}` },
    // the firewalls the run's verdicts assume: a diff's two ends, or each backend an audit used with its counts (each result names its own)
    properties: 'diff' in run ? run.diff : { backends: Object.fromEntries(run.audit.map(({ backend, ...counts }) => [backend, counts])) },
  };
  let bytes = 0;
  // results gathered into chunks of about 64 KiB: one write each, waiting when the stream is full
  let pending = '';
  const flush = async () => {
    if (pending && !out.write(pending)) await once(out, 'drain');
    pending = '';
  };
  const write = async (chunk: string) => {
    bytes += Buffer.byteLength(chunk);
    pending += chunk;
    if (pending.length >= 65_536) await flush();
  };
  const opening = JSON.stringify({ $schema: 'https://json.schemastore.org/sarif-2.1.0.json', version: '2.1.0', runs: [head] });
  await write(`${opening.slice(0, -3)},"results":[`);
  // room for the closing notifications, which are a few lines
  const budget = limits.bytes - 16_384;
  let written = 0;
  let full = false;
  const leftOut = new Map<Severity, number>();
  for (const c of candidates) {
    const text: string | undefined = full || written >= limits.results ? undefined : `${written ? ',' : ''}\n${JSON.stringify(result(c.finding, checks.indexOf(c.finding.check), limits, c.reason))}`;
    // the first result that does not fit ends the list: what follows is less severe
    if (text === undefined || (full = bytes + Buffer.byteLength(text) > budget)) {
      leftOut.set(c.finding.severity, (leftOut.get(c.finding.severity) ?? 0) + 1);
      continue;
    }
    await write(text);
    written++;
  }
  const left = candidates.length - written;
  const notifications = [
    ...(left ? [{
      level: 'warning',
      message: { text: `${left} of ${candidates.length} results left out to stay within GitHub code scanning's limits (${limits.results} results per run, ${limits.bytes} bytes): ${SEVERITIES.filter((s) => leftOut.has(s)).map((s) => `${leftOut.get(s)} ${s}`).join(', ')}; -f json lists them all (the audit: --min-severity reports fewer, --sarif-max-results raises the cap up to ${MAX_RESULTS})` },
      descriptor: { id: 'results-left-out' },
    }] : []),
    ...(input.summary ?? []).map((text) => ({ level: 'note', message: { text } })),
  ];
  await write(`\n],"invocations":${JSON.stringify([{ executionSuccessful: true, toolExecutionNotifications: notifications, properties: { results: candidates.length, written, leftOut: Object.fromEntries(leftOut) } }])}}]}\n`);
  await flush();
  return { results: written, leftOut: left, bytes };
}

/** writeSarif to a file, or to standard output. */
export async function writeSarifTo(path: string | undefined, input: SarifInput, limits?: SarifLimits): Promise<SarifWritten> {
  if (!path) return writeSarif(process.stdout, input, limits);
  const file = createWriteStream(path);
  const failed = new Promise<never>((_, reject) => file.once('error', reject));
  failed.catch(() => undefined); // observed through the race
  const done = (async () => {
    const written = await writeSarif(file, input, limits);
    file.end();
    await once(file, 'finish');
    return written;
  })();
  return Promise.race([done, failed]);
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
