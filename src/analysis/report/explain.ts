/**
 * The words of the analyzer's explanations — can-reach's steps, where an
 * exposed source comes from — written once. Each typed fact becomes sentences
 * of text and object references; each output format turns those into its own
 * text: plain here (tables, JSON), Markdown in markdown.ts, links in the
 * console. Pure and without Node imports: the console bundles it.
 */
import { BACKEND_SEMANTICS, NEUTRON_BACKENDS, type NeutronBackend } from '../../policy/neutron-backends.js';
import type { AssumedBackend, DiffRow, DiffSide, ExposureRow, ExposureSource, Finding, MemberMatch, ObjectRef, ReachAnswer, ReachStep, RuleDetail, RuleOrigin, SpoofMatch, UnfilteredReason } from '../answers.js';

/** Text with the objects it names left as references, for formats that link them. */
export type Phrase = (string | ObjectRef)[];

/** How a sentence names an object: its name, else the start of its id. */
// whole ids: a rule has no name, and a cut id cannot be pasted into `openstack … show`
export const refLabel = (o: ObjectRef): string => o.name || o.id;

const PAIR_VIA: Record<MemberMatch['via'], string> = { 'fixed-ip': 'fixed IP', 'allowed-address-pair': 'allowed-address-pair' };

function spoofVia(e: SpoofMatch): string {
  if (e.via === 'mac-only') return 'its MAC (no fixed IP)';
  return `${e.via === 'link-local' ? 'link-local' : PAIR_VIA[e.via]} ${e.address}`;
}

function portRange(min: number | null, max: number | null): string {
  if (min === null) return '';
  return min === max || max === null ? `/${min}` : `/${min}-${max}`;
}

const originWords = (o: RuleOrigin): Phrase => (o.kind === 'group' ? ['rule ', o.rule, ' of group ', o.group]
  : o.kind === 'provider' ? [`Neutron's ${o.what} rule`] : [`the driver's fixed ${o.what} line`]);

function ruleWords(r: RuleDetail, direction: 'ingress' | 'egress'): Phrase {
  const remote: Phrase = r.remote.kind === 'any' ? ['anywhere'] : r.remote.kind === 'prefix' ? [r.remote.cidr] : ['remote group ', r.remote.group];
  return [`${r.ethertype} ${r.protocol ?? 'any protocol'}${portRange(r.portMin, r.portMax)} ${direction === 'ingress' ? 'from' : 'to'} `, ...remote, ' (', ...originWords(r.origin), ')'];
}

const memberWords = (m: MemberMatch): Phrase => m.shared
  ? ['group ', m.group, ' through ', m.port, `'s ${PAIR_VIA[m.via]} ${m.address} of another group, shared with every group holding one (only from MAC ${m.onlyFromMac})`]
  : ['group ', m.group, "'s member ", m.port, ` via ${PAIR_VIA[m.via]} ${m.address}${m.onlyFromMac ? ` (only from MAC ${m.onlyFromMac})` : ''}`];

const UNFILTERED: Record<UnfilteredReason, string> = { 'network-owned': 'not filtered (a network-owned port)', 'port-security-disabled': 'not filtered (port security disabled)' };

const OUTSIDE = 'is outside the cloud';

/** A step as sentences, in order: most steps say one thing; a remote-group rule also names the member that matched. */
export function stepSentences(s: ReachStep): Phrase[] {
  switch (s.stage) {
    case 'entry': {
      const t = s.through;
      const source = `source ${s.source}`;
      switch (t.kind) {
        case 'sender': return [[`${source} is sent by port `, t.port]];
        case 'router': return [[`${source} ${OUTSIDE}; it enters network `, t.network, ' through router port ', t.port]];
        case 'none': return [[`${source} ${OUTSIDE} and nothing on network `, t.network, ' can bring it in: no router interface, no port without port security, no allowed-address-pair covering it']];
        default: return [[`${source} ${OUTSIDE}; it may enter network `, t.network, ' through ', t.port,
          ` (${t.kind === 'unfiltered' ? 'port security disabled' : 'an allowed-address-pair covers it'}), e.g. forwarded by a NAT or router instance`]];
      }
    }
    case 'spoof':
      return [s.entry
        ? ['anti-spoofing on ', s.port, ` lets source ${s.source} out via ${spoofVia(s.entry)}`]
        : ['anti-spoofing on ', s.port, ` drops source ${s.source}: neither a fixed IP nor an allowed-address-pair (with the port's MAC) covers it`]];
    case 'delivery':
      return [s.group ? ['port security on ', s.port, ` delivers destination ${s.destination}: ${s.group} frames are not checked`]
        : s.entry ? ['port security on ', s.port, ` delivers destination ${s.destination}: it holds it via ${spoofVia(s.entry)}`]
          : ['port security on ', s.port, ` drops destination ${s.destination}: neither a fixed IP nor an allowed-address-pair of the port (with the frame's MAC) holds it`]];
    case 'network':
      return [s.router ? [`routed by router ${s.router} to network `, s.to] : ['network ', s.from, ' and network ', s.to, ' share no router']];
    case 'exit': {
      const out: Phrase = [`destination ${s.destination} ${OUTSIDE}`];
      if (!s.router && s.external) return [[...out, '; network ', s.from, ' is external: it is reached there']];
      if (!s.router) return [[...out, ' and network ', s.from, ' has no router to take it out']];
      const via: Phrase = s.external ? [' through its gateway on external network ', s.external] : [];
      return [[...out, `; router ${s.router} routes it out of network `, s.from, ...via], ...(s.assumed ? [[`assumed: ${s.assumed}`]] : [])];
    }
    case 'egress':
    case 'ingress': {
      const peer = `${s.stage === 'ingress' ? 'source' : 'destination'} ${s.peer}`;
      switch (s.by) {
        case 'rule': {
          const allows: Phrase = [s.port, ` ${s.stage} allows it: `, ...ruleWords(s.rule, s.stage)];
          return s.member ? [allows, [`${peer} matches `, ...memberWords(s.member)]] : [allows];
        }
        case 'no-rule':
          return [[s.port, ` ${s.stage} has no rule for ${s.service.ethertype} ${s.service.protocol}${portRange(s.service.port, null)} ${s.stage === 'ingress' ? 'from' : 'to'} ${s.peer}`]];
        case 'fixed':
          return [[s.port, `'s ${s.stage} chain ${s.verdict === 'drop' ? 'drops it' : 'returns it before its rules'}: ${s.why}`]];
        case 'unfiltered':
          return [[s.port, ` is ${UNFILTERED[s.reason]}`]];
      }
    }
  }
}

/** Where an exposed source comes from. */
export function sourcePhrase(source: ExposureSource): Phrase {
  const { from } = source;
  switch (from.kind) {
    case 'any': return ['any source (', ...originWords(from.rule), ')'];
    case 'prefix': return [`prefix ${'cidr' in source ? source.cidr : ''} (`, ...originWords(from.rule), ')'];
    case 'group': return ['remote group ', from.group, `'s ${from.members} member${from.members === 1 ? '' : 's'} (`, ...originWords(from.rule), ')'];
    case 'member': return [...memberWords(from.member), ' (', ...originWords(from.rule), ')'];
    case 'unfiltered': return [UNFILTERED[from.reason]];
  }
}

/** The verdict and the flow asked about, e.g. "ALLOW: 200.200.200.200 -> proxy tcp/80". */
export const headline = ({ verdict, query: q }: ReachAnswer): string => `${verdict}: ${q.src} -> ${q.dst} ${q.protocol}${q.port === undefined ? '' : `/${q.port}`}`;

/** The line every output carries: which firewall the verdict assumes. */
export const backendLine = (backend: NeutronBackend): string => `backend: ${backend} (${BACKEND_SEMANTICS[backend].label})`;

/** Where a backend was assumed ("proxy (ingress)", a port's name) and why. */
export interface BackendUse extends AssumedBackend {
  where: string;
}

const listed = (where: string[]) => (where.length > 8 ? `${where.slice(0, 8).join(', ')} and ${where.length - 8} more` : where.join(', '));

/**
 * The lines saying which firewall each verdict assumed: the one line of backendLine when one
 * backend was forced on every port (or nothing was filtered), else a line per backend and
 * reason, naming the ports. `agents`: how the import read the agents (said when a port had to be defaulted).
 */
export function backendLines(uses: readonly BackendUse[], fallback: NeutronBackend, agents?: string): string[] {
  if (uses.every((u) => u.why === 'forced')) return [backendLine(uses[0]?.backend ?? fallback)];
  const groups = new Map<string, BackendUse[]>();
  for (const u of uses) {
    const key = `${u.backend} ${u.why}`;
    groups.set(key, [...(groups.get(key) ?? []), u]);
  }
  return [...groups.values()].map((g) => {
    const [{ backend, why, evidence }] = g;
    const same = g.every((u) => u.evidence === evidence) ? evidence : undefined;
    const head = `${backendLine(backend)} for ${listed(g.map((u) => u.where))}`;
    if (why === 'found') return `${head}: ${same ?? 'as their bindings and agents show'}`;
    return `${head}, the default: nothing showed ${g.length > 1 ? 'their' : 'its'} firewall${same ? ` (${same})` : ''}${agents ? `; ${agents}` : ''}`;
  });
}

/** A backend an audit assumed: how many of its filtered ports' nodes run it, and how many findings assume it. */
export interface AuditBackend {
  backend: NeutronBackend;
  ports: number;
  findings: number;
}

/**
 * Each backend an audit used, in NEUTRON_BACKENDS order: `ports` are the filtered ports'
 * backends, a finding without one counts as `fallback`'s (as does a run that filtered nothing).
 */
export function auditBackends(findings: readonly Finding[], ports: readonly NeutronBackend[], fallback: NeutronBackend): AuditBackend[] {
  const count = (list: readonly NeutronBackend[], b: NeutronBackend) => list.filter((x) => x === b).length;
  const assumed = findings.map((f) => f.backend ?? fallback);
  const used = NEUTRON_BACKENDS.filter((b) => ports.includes(b) || assumed.includes(b));
  return (used.length ? used : [fallback]).map((backend) => ({ backend, ports: count(ports, backend), findings: count(assumed, backend) }));
}

const counted = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** The audit's backend lines, one per backend used, with its counts. */
export const auditBackendLines = (uses: readonly AuditBackend[]): string[] =>
  uses.map((u) => `${backendLine(u.backend)}: ${counted(u.findings, 'finding')}, ${counted(u.ports, 'filtered port')}`);

/** can-reach's backend lines: the sender's egress and the receiver's ingress. */
export const reachBackendLines = (a: ReachAnswer, agents?: string): string[] =>
  backendLines(a.assumed.map((u) => ({ ...u, where: `${refLabel(u.port)} (${u.stage})` })), a.backend, agents);

/** A phrase as plain text. */
export const plainText = (p: Phrase): string => p.map((x) => (typeof x === 'string' ? x : refLabel(x))).join('');

/** A step as one line of plain text. */
export const stepText = (s: ReachStep): string => stepSentences(s).map(plainText).join('; ');

export type ExplainedStep = ReachStep & { text: string };

/** The answer as JSON gives it: the typed steps, each with its plain text. */
export const explained = (a: ReachAnswer): Omit<ReachAnswer, 'steps'> & { steps: ExplainedStep[] } =>
  ({ ...a, steps: a.steps.map((s) => ({ ...s, text: stepText(s) })) });

/** Exposure as JSON gives it: each source's origin typed, with its plain text as `via`. */
export const explainedExposure = (rows: ExposureRow[]) => rows.map((r) => ({ ...r, origins: r.origins.map(explainedSource) }));

// the rows of every port a rule covers share its origin: it is explained once
export type ExplainedSource = ExposureSource & { via: string };
const explainedSources = new WeakMap<ExposureSource, ExplainedSource>();

export function explainedSource(o: ExposureSource): ExplainedSource {
  let e = explainedSources.get(o);
  if (!e) explainedSources.set(o, (e = { ...o, via: plainText(sourcePhrase(o)) }));
  return e;
}

/**
 * Why a backend denies what the other side's remote-group member admitted: the member is not one
 * there (OVN: pairs never join a remote group) or matches only its own MAC (the openvswitch firewall's /0 pair).
 */
function lostMember(side: DiffSide, other: DiffSide): Phrase[] {
  if (side.verdict !== 'DENY') return [];
  const semantics = BACKEND_SEMANTICS[side.backend];
  return other.steps.flatMap((s): Phrase[] => {
    if ((s.stage !== 'ingress' && s.stage !== 'egress') || s.by !== 'rule' || !s.member || !side.steps.some((x) => x.stage === s.stage)) return [];
    const m = s.member;
    if (m.via === 'allowed-address-pair' && !semantics.pairsAreMembers) {
      return [[`on ${side.backend} remote group `, m.group, ' stands for its members\' fixed IPs only: ', m.port, `'s allowed-address pair ${m.address} is not a member`]];
    }
    if (m.via === 'allowed-address-pair' && semantics.macPinnedPrefixlen !== null && m.address.endsWith(`/${semantics.macPinnedPrefixlen}`)) {
      return [[`on ${side.backend} `, m.port, `'s allowed-address pair ${m.address} is a member of `, m.group, ' only in frames from its own MAC']];
    }
    return [];
  });
}

/** One side of a diff row as sentences: the steps that decided it, then why it lost the other side's member. */
export function diffSideSentences(row: DiffRow, side: 'from' | 'to'): Phrase[] {
  const [mine, other] = side === 'from' ? [row.from, row.to] : [row.to, row.from];
  return [...mine.steps.flatMap(stepSentences), ...lostMember(mine, other)];
}

/** The class's sources in the shorter spelling: the CIDRs, or the block that holds them less its holes. */
export const sourcesText = (row: DiffRow): string =>
  (row.cover.except.length + 1 < row.sources.length ? `${row.cover.cidr} except ${row.cover.except.join(', ')}` : row.sources.join(', '));

/** A diff row in one line, e.g. "ALLOW -> DENY: tcp/80 to proxy (10.10.10.30) from 0.0.0.0/0 through nat". */
export function diffHeadline(row: DiffRow): string {
  const to = row.destination.ports.map(refLabel).join(', ');
  return `${row.from.verdict} -> ${row.to.verdict}: ${row.ethertype} ${row.protocol}${row.ports === 'any' ? '' : `/${row.ports}`} to ${to} (${row.destination.address}) from ${sourcesText(row)} sent by ${row.senders.map(refLabel).join(', ')}`;
}

/** The can-reach command that asks a row's flow of one backend. */
export function reachCommand(row: DiffRow, backend: NeutronBackend): string {
  const q = row.flow;
  const port = q.port === undefined ? '' : ` --port ${q.port}`;
  const code = q.sourcePort === undefined ? '' : ` --source-port ${q.sourcePort}`;
  return `portsec can-reach ${q.src} ${q.dst} --protocol ${q.protocol}${port}${code} --source-ip ${q.sourceIp} --backend ${backend}`;
}

/** Diff rows as JSON gives them: each side with its steps' plain text and its reason in one line. */
export const explainedDiff = (rows: DiffRow[]) => rows.map((r) => {
  const side = (which: 'from' | 'to') => ({ ...r[which], steps: r[which].steps.map((s) => ({ ...s, text: stepText(s) })), reason: diffSideSentences(r, which).map(plainText).join('; ') });
  return { ...r, from: side('from'), to: side('to') };
});
