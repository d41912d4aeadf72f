/**
 * Every fix is proven before it is shown: its actions applied to the snapshot in memory
 * (fix/apply.ts, Neutron's semantics), the cloud rebuilt as the audit built it, and the
 * flows compared by `portsec diff`'s machinery (diff.ts over the ports the fix touches) —
 * closed, opened, and those the finding is about that stay open — then the audit run again:
 * the finding must be gone, no finding new, and nothing opened but what the fix exists to
 * restore. A fix that fails any of it is refused, with why.
 */
import { FAMILIES } from '../../policy/ir.js';
import { BACKEND_SEMANTICS } from '../../policy/neutron-backends.js';
import { type DiffRow, type Finding, type ObjectRef } from '../answers.js';
import { audit } from '../audit/index.js';
import { type AuditOptions } from '../audit/options.js';
import { type AgentEnforcement, buildCloud, type Cloud, portRef } from '../cloud.js';
import { diff } from '../diff.js';
import { parseAddress } from '../packet.js';
import { intervalOf, union } from '../ranges.js';
import { canReach } from '../reach.js';
import { type Snapshot } from '../snapshot.js';
import { InputError } from '../sources/errors.js';
import { flowText } from '../report/fix-text.js';
import { applyFix, FixRefused } from './apply.js';
import { candidatesFor } from './candidates.js';
import { type Candidate, type Fix, type FixAction, type FixProof, type FixRef, type FlowChange } from './types.js';

export interface Refused {
  fix: Omit<Fix, 'proof'> & { proof: FixProof };
  why: string;
}

const flowOf = (r: DiffRow): FlowChange => ({ destination: r.destination, ethertype: r.ethertype, protocol: r.protocol, ports: r.ports, sources: r.sources, senders: r.senders });

/**
 * The ports whose filtering the fix may change: their own groups, pairs, addresses or port
 * security; every port of a group whose rules changed; every port holding a rule that names a
 * group whose members changed; on a backend sharing MAC-pinned members across a network's
 * groups, every port of a network where one of these changed.
 */
export function touched(before: Cloud, after: Snapshot): Set<string> {
  const out = new Set<string>();
  const changedGroups = new Set<string>();
  const membersChanged = new Set<string>();
  const portKey = (p: Snapshot['ports'][number]) => JSON.stringify([p.security_groups, p.allowed_address_pairs, p.fixed_ips, p.port_security_enabled !== false]);
  for (const p of after.ports) {
    const was = before.ports.get(p.id);
    if (was && portKey(was) === portKey(p)) continue;
    out.add(p.id);
    for (const g of [...(was?.security_groups ?? []), ...p.security_groups]) membersChanged.add(g);
  }
  const ruleKeys = (rules: Snapshot['security_group_rules']) => {
    const m = new Map<string, Set<string>>();
    for (const r of rules) {
      let set = m.get(r.security_group_id);
      if (!set) m.set(r.security_group_id, (set = new Set()));
      set.add(JSON.stringify(r));
    }
    return m;
  };
  const was = ruleKeys(before.snapshot.security_group_rules);
  const now = ruleKeys(after.security_group_rules);
  for (const g of new Set([...was.keys(), ...now.keys()])) {
    const a = was.get(g) ?? new Set();
    const b = now.get(g) ?? new Set();
    if (a.size !== b.size || [...a].some((k) => !b.has(k))) changedGroups.add(g);
  }
  const naming = new Set([...before.snapshot.security_group_rules, ...after.security_group_rules].filter((r) => r.remote_group_id && membersChanged.has(r.remote_group_id)).map((r) => r.security_group_id));
  for (const p of [...before.snapshot.ports, ...after.ports]) if (p.security_groups.some((g) => changedGroups.has(g) || naming.has(g))) out.add(p.id);
  const shared = new Set([...out].flatMap((id) => {
    const p = before.ports.get(id);
    return p && BACKEND_SEMANTICS[before.backendAt(id).backend].pinnedMembersShared ? [p.network_id] : [];
  }));
  if (shared.size) for (const p of before.snapshot.ports) if (shared.has(p.network_id)) out.add(p.id);
  return out;
}

/** The agents after the fix: a group whose members it refreshes holds the API's members again on every node. */
function refreshedAgents(before: Cloud, groups: ReadonlySet<string>): AgentEnforcement[] | undefined {
  if (!before.agents || !groups.size) return before.agents && [...before.agents];
  return before.agents.map(({ host, policy }) => {
    const remoteGroups = new Map(policy.remoteGroups);
    for (const g of groups) {
      const held = remoteGroups.get(g);
      if (held) remoteGroups.set(g, Object.fromEntries(FAMILIES.filter((f) => held[f]).map((f) => [f, before.members(g, f)])));
    }
    return { host, policy: { ...policy, remoteGroups } };
  });
}

/** Whether `inner`'s addresses are all inside `outer`'s (prefixes or addresses). */
function within(inner: readonly string[], outer: readonly string[]): boolean {
  if (!inner.length) return true;
  const parsed = (xs: readonly string[]) => xs.map((x) => intervalOf(x.includes('/') ? x : `${x}/${x.includes(':') ? 128 : 32}`));
  const o = parsed(outer);
  const i = parsed(inner);
  if (!o.length || o.some((x) => x.family !== i[0].family)) return false;
  const whole = union(i[0].family, [...o.map((x) => x.interval)]).intervals;
  return i.every(({ interval: [lo, hi] }) => whole.some(([a, b]) => a <= lo && hi <= b));
}

/** A flow opened is restored when a restore holds it: its destination, service, sources and senders (none listed: any). */
function restored(flow: FlowChange, restores: readonly FlowChange[]): boolean {
  return restores.some((r) => r.ethertype === flow.ethertype && (r.protocol === 'any' || r.protocol === flow.protocol) && (r.ports === 'any' || r.ports === flow.ports)
    && within([flow.destination.address], [r.destination.address]) && within(flow.sources, r.sources)
    && (!r.senders.length || flow.senders.every((s) => r.senders.some((x) => x.id === s.id))));
}

/** The flows of `about` the fixed cloud still allows. */
function stillOpen(after: Cloud, candidate: Candidate): FlowChange[] {
  const out: FlowChange[] = [];
  for (const q of candidate.about ?? []) {
    let a;
    try {
      a = canReach(after, q);
    } catch (e) {
      if (e instanceof InputError) continue;
      throw e;
    }
    if (a.verdict !== 'ALLOW') continue;
    const family = parseAddress(q.sourceIp ?? q.dst)?.family ?? 'IPv4';
    const sender = after.ports.get(q.src);
    const dst = after.ports.get(q.dst);
    out.push({
      destination: { address: dst?.fixed_ips[0]?.ip_address ?? q.dst, ports: dst ? [portRef(dst)] : [] },
      ethertype: family, protocol: q.protocol, ports: q.port === undefined ? 'any' : String(q.port),
      sources: q.sourceIp ? [q.sourceIp] : [], senders: sender ? [portRef(sender)] : [] as ObjectRef[],
    });
  }
  return out;
}

/** One candidate proven: its proof, or why Neutron would refuse a step of it. */
export function prove(cloud: Cloud, finding: Finding, candidate: Candidate, o: AuditOptions, before: readonly Finding[] = audit(cloud, o)): { proof: FixProof } | { refusedBy: string } {
  let snapshot: Snapshot;
  try {
    snapshot = applyFix(cloud.snapshot, candidate.actions);
  } catch (e) {
    if (e instanceof FixRefused) return { refusedBy: `Neutron would refuse it (${e.status}): ${e.message}` };
    throw e;
  }
  const refreshed = new Set(candidate.actions.flatMap((a) => (a.op === 'refresh-members' ? [a.group] : [])));
  const after = buildCloud(snapshot, cloud.built, refreshedAgents(cloud, refreshed));
  const rows = diff(cloud, after, touched(cloud, snapshot));
  // a finding's id hashes every object it names, the ports it opens included: one the fix only narrows keeps its words (check and title)
  const words = (f: Finding) => `${f.check}\n${f.title}`;
  const ids = new Set(before.map((f) => f.id));
  const known = new Set(before.map(words));
  const again = audit(after, o);
  return {
    proof: {
      closed: rows.filter((r) => r.from.verdict === 'ALLOW').map(flowOf),
      stayOpen: stillOpen(after, candidate),
      opened: rows.filter((r) => r.from.verdict === 'DENY').map(flowOf),
      findingGone: !again.some((f) => f.id === finding.id || words(f) === words(finding)),
      newFindings: again.filter((f) => !ids.has(f.id) && !known.has(words(f))).map((f) => f.id),
    },
  };
}

/** Why a proven fix is not offered, or undefined when it is. */
export function verdict(fix: Omit<Fix, 'proof'>, p: FixProof): string | undefined {
  const opened = p.opened.filter((f) => !restored(f, fix.restores ?? []));
  if (opened.length) return `it opens ${opened.length} flow class(es), e.g. ${opened[0].protocol}/${opened[0].ports} to ${opened[0].destination.address} from ${opened[0].sources.join(', ')}${opened[0].senders.length ? ` (${opened[0].senders.map((s) => s.name ?? s.id).join(', ')})` : ''}`;
  if (!p.findingGone) return 'the finding is still there after it';
  if (p.newFindings.length) return `the audit after it finds what it did not before: ${p.newFindings.join(', ')}`;
  return undefined;
}

/**
 * The actions as read from the snapshot: each write to an object it holds names the revision it was
 * read at, so running it sends If-Match (execute.ts) and a cloud changed since is refused, not
 * overwritten; each new rule names its group's project, so script and API make it there, not in the caller's.
 */
function asRead(s: Snapshot, actions: readonly FixAction[]): FixAction[] {
  const revisions = new Map<string, number>();
  for (const o of [...s.ports, ...s.security_groups, ...s.security_group_rules]) if (o.revision_number !== undefined) revisions.set(o.id, o.revision_number);
  const at = (id: string) => { const revision = revisions.get(id); return revision === undefined ? {} : { revision }; };
  const owner = (group: FixRef) => ('id' in group ? s.security_groups.find((g) => g.id === group.id)?.project_id
    : actions.flatMap((a) => (a.op === 'create-group' && a.as === group.created ? [a.project] : []))[0]);
  return actions.map((a): FixAction => {
    switch (a.op) {
      case 'create-rule': { const project = owner(a.group); return project ? { ...a, project } : a; }
      case 'delete-rule': return { ...a, ...at(a.rule) };
      case 'delete-group':
      case 'set-group-stateful': return { ...a, ...at(a.group) };
      case 'set-port-groups':
      case 'set-port-pairs':
      case 'set-port-security': return { ...a, ...at(a.port) };
      default: return a;
    }
  });
}

/** The fixes of one finding, each proven: those offered, and those refused with why. */
export function fixesFor(cloud: Cloud, finding: Finding, o: AuditOptions, before: readonly Finding[] = audit(cloud, o)): { offered: Fix[]; refused: Refused[] } {
  const offered: Fix[] = [];
  const refused: Refused[] = [];
  const empty: FixProof = { closed: [], stayOpen: [], opened: [], findingGone: false, newFindings: [] };
  for (const { about: _about, ...found } of candidatesFor(cloud, finding, o)) {
    const candidate = { ...found, actions: asRead(cloud.snapshot, found.actions) };
    const result = prove(cloud, finding, { ...candidate, about: _about }, o, before);
    if ('refusedBy' in result) {
      refused.push({ fix: { ...candidate, proof: empty }, why: result.refusedBy });
      continue;
    }
    const why = verdict(candidate, result.proof);
    const closed = result.proof.closed;
    const caveats = closed.length
      ? [...candidate.caveats, `closes ${closed.length} flow class(es) allowed today: ${closed.slice(0, 3).map(flowText).join('; ')}${closed.length > 3 ? '; … (the proof lists them all)' : ''}`]
      : candidate.caveats;
    if (why) refused.push({ fix: { ...candidate, caveats, proof: result.proof }, why });
    else offered.push({ ...candidate, caveats, proof: result.proof });
  }
  return { offered, refused };
}

/** The findings with their offered fixes attached (the audit proves none: at 100,000 ports that is on demand). */
export function withFixes(cloud: Cloud, findings: readonly Finding[], o: AuditOptions): Finding[] {
  // every check's findings: a fix must not cause one of a check the caller left out
  const before = audit(cloud, o);
  return findings.map((f) => ({ ...f, fixes: fixesFor(cloud, f, o, before).offered }));
}
