/**
 * Exposure: for each port and each service its ingress rules open, the
 * effective set of allowed sources — the union of the rules' prefixes and the
 * remote groups' members as the data plane expands them — as the fewest CIDRs,
 * with where each part comes from: by default one origin per rule (a remote
 * group's with its member count), or, asked for, one per member.
 */
import { type Family, type Member, type PolicyRule, type PortPolicy } from '../policy/ir.js';
import { type ExposureAddress, type ExposureGroup, type ExposureRow } from './answers.js';
import { type Cloud, groupRef, portRef } from './cloud.js';
import { memberMatch, ruleOrigin, unfilteredReason } from './facts.js';
import { remoteMembers } from './packet.js';
import { intervalOf, type Interval, toCidrs, union } from './ranges.js';
import { type SnapshotPort } from './snapshot.js';

const EVERYTHING: Record<Family, string> = { IPv4: '0.0.0.0/0', IPv6: '::/0' };

const familyOf = (f: Family) => (f === 'IPv4' ? 4 : 6);

export interface ExposureOptions {
  /** one origin per remote-group member, as can-reach names them; else one per rule, the members counted (at 100,000 ports every member of every row was 500 KB a port) */
  members?: boolean;
}

export function serviceText(r: Pick<PolicyRule, 'portMin' | 'portMax'>): string {
  if (r.portMin === null) return 'any';
  return r.portMax === null || r.portMax === r.portMin ? String(r.portMin) : `${r.portMin}-${r.portMax}`;
}

const memberCidr = (m: Member, f: Family) => (m.ip.includes('/') ? m.ip : `${m.ip}/${f === 'IPv4' ? 32 : 128}`);

/** The members of the rule's remote group as the exposed port's own node expands them. */
const ruleMembers = (cloud: Cloud, pp: PortPolicy, r: PolicyRule, groupId: string): Member[] =>
  remoteMembers(pp, cloud.membersAt(pp.port.id)(groupId, r.ethertype, r.direction), cloud.optionsAt(pp.port.id).enableIpset);

/** Where one ingress rule admits from, as prefixes with their origin: a remote group's member by member. */
export function ruleSources(cloud: Cloud, pp: PortPolicy, r: PolicyRule): ExposureAddress[] {
  if (r.remote.kind !== 'group') return [remoteSource(cloud, r)];
  const rule = ruleOrigin(cloud, r.origin);
  const groupId = r.remote.groupId;
  return ruleMembers(cloud, pp, r, groupId).map((m) => ({ cidr: memberCidr(m, r.ethertype), from: { kind: 'member', member: memberMatch(cloud, groupId, m), rule } }));
}

/** A rule's remote that is anywhere or a prefix: the same on every port that holds the rule, so made once. */
function remoteSource(cloud: Cloud, r: PolicyRule): ExposureAddress {
  const { remotes } = shared(cloud);
  let o = remotes.get(r);
  if (!o) {
    const cidr = r.remote.kind === 'prefix' ? r.remote.cidr : EVERYTHING[r.ethertype];
    remotes.set(r, (o = { cidr, from: { kind: r.remote.kind === 'prefix' ? 'prefix' : 'any', rule: ruleOrigin(cloud, r.origin) } }));
  }
  return o;
}

/** A set of source addresses rows share (a member list's, a prefix's), with its CIDRs once a row of it alone asks. */
interface SourceSet {
  id: number;
  intervals: Interval[];
  cidrs?: string[];
}

/**
 * What rows of different ports share, computed once per cloud: each member list's union (the lists
 * are the cloud's own, one per group, family and backend), each rule's origin and remote (ports share
 * the rule objects), the CIDRs of each set and of each distinct union of sets.
 * bench/audit at 100,000 ports: re-parsing every member of every remote group on every port was most of the time.
 */
interface Shared {
  memberSets: WeakMap<Member[], SourceSet>;
  prefixSets: Map<string, SourceSet>;
  origins: WeakMap<PolicyRule, Map<number, ExposureGroup>>;
  remotes: WeakMap<PolicyRule, ExposureAddress>;
  unions: Map<string, string[]>;
  nextSet: number;
}

const sharedOf = new WeakMap<Cloud, Shared>();

function shared(cloud: Cloud): Shared {
  let s = sharedOf.get(cloud);
  if (!s) sharedOf.set(cloud, (s = { memberSets: new WeakMap(), prefixSets: new Map(), origins: new WeakMap(), remotes: new WeakMap(), unions: new Map(), nextSet: 0 }));
  return s;
}

function memberSet(s: Shared, members: Member[], f: Family): SourceSet {
  let set = s.memberSets.get(members);
  if (!set) s.memberSets.set(members, (set = { id: s.nextSet++, intervals: union(familyOf(f), members.map((m) => intervalOf(m.ip).interval)).intervals }));
  return set;
}

function prefixSet(s: Shared, cidr: string): SourceSet {
  let set = s.prefixSets.get(cidr);
  if (!set) s.prefixSets.set(cidr, (set = { id: s.nextSet++, intervals: [intervalOf(cidr).interval] }));
  return set;
}

function groupOrigin(cloud: Cloud, s: Shared, r: PolicyRule, groupId: string, count: number): ExposureGroup {
  let byCount = s.origins.get(r);
  if (!byCount) s.origins.set(r, (byCount = new Map()));
  let o = byCount.get(count);
  if (!o) byCount.set(count, (o = { from: { kind: 'group', group: groupRef(cloud, groupId), members: count, rule: ruleOrigin(cloud, r.origin) } }));
  return o;
}

/** One row as it gathers its source sets. */
interface Gathered {
  row: ExposureRow;
  sets: SourceSet[];
}

export function portExposure(cloud: Cloud, port: SnapshotPort, { members = false }: ExposureOptions = {}): ExposureRow[] {
  const pp = cloud.policy(port.id);
  const ref = portRef(port);
  const { backend } = cloud.backendAt(port.id);
  if (pp.kind !== 'filtered') {
    const from = { kind: 'unfiltered', reason: unfilteredReason(pp) } as const;
    return (['IPv4', 'IPv6'] as Family[]).map((f) => ({ port: ref, ethertype: f, protocol: 'any', ports: 'any', sources: [EVERYTHING[f]], origins: [{ cidr: EVERYTHING[f], from }], backend }));
  }
  const s = shared(cloud);
  const rows = new Map<string, Gathered>();
  for (const r of pp.rules) {
    if (r.direction !== 'ingress' || r.origin.kind !== 'group') continue;
    const service = `${r.ethertype}|${r.protocol ?? 'any'}|${serviceText(r)}`;
    let g = rows.get(service);
    if (!g) rows.set(service, (g = { row: { port: ref, ethertype: r.ethertype, protocol: r.protocol ?? 'any', ports: serviceText(r), sources: [], origins: [], backend }, sets: [] }));
    if (members || r.remote.kind !== 'group') {
      for (const x of ruleSources(cloud, pp, r)) {
        g.row.origins.push(x);
        g.sets.push(prefixSet(s, x.cidr));
      }
      continue;
    }
    const groupId = r.remote.groupId;
    const list = ruleMembers(cloud, pp, r, groupId);
    g.row.origins.push(groupOrigin(cloud, s, r, groupId, list.length));
    g.sets.push(memberSet(s, list, r.ethertype));
  }
  return [...rows.values()].map(({ row, sets }) => ({ ...row, sources: rowCidrs(s, row.ethertype, sets) }));
}

function rowCidrs(s: Shared, f: Family, sets: SourceSet[]): string[] {
  const distinct = [...new Set(sets)];
  if (distinct.length === 1) return (distinct[0].cidrs ??= toCidrs({ family: familyOf(f), intervals: distinct[0].intervals }));
  const key = distinct.map((x) => x.id).sort((a, b) => a - b).join(',');
  let cidrs = s.unions.get(key);
  if (!cidrs) s.unions.set(key, (cidrs = toCidrs(union(familyOf(f), distinct.flatMap((x) => x.intervals)))));
  return cidrs;
}

/** Port by port, so a caller can write rows as they come (bench/audit: every port's rows at once did not fit in memory at 100,000 ports). */
export function* exposureRows(cloud: Cloud, ports: Iterable<SnapshotPort> = cloud.snapshot.ports, options: ExposureOptions = {}): Generator<ExposureRow> {
  for (const p of ports) yield* portExposure(cloud, p, options);
}

export function exposure(cloud: Cloud, ports: SnapshotPort[] = cloud.snapshot.ports, options: ExposureOptions = {}): ExposureRow[] {
  return [...exposureRows(cloud, ports, options)];
}
