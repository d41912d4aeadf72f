/**
 * Exposure: for each port and each service its ingress rules open, the
 * effective set of allowed sources — the union of the rules' prefixes and the
 * remote groups' members as the data plane expands them — as the fewest CIDRs,
 * with where each part comes from: by default one origin per rule (a remote
 * group's with its member count), or, asked for, one per member.
 */
import { type Family, type Member, type PolicyRule, type PortPolicy } from '../policy/ir.js';
import { type NeutronBackend } from '../policy/neutron-backends.js';
import { type ExposureAddress, type ExposureGroup, type ExposureRow, type ExposureService } from './answers.js';
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
  return r.remote.kind === 'group' ? memberSources(cloud, r, r.remote.groupId, ruleMembers(cloud, pp, r, r.remote.groupId)) : [remoteSource(cloud, r)];
}

function memberSources(cloud: Cloud, r: PolicyRule, groupId: string, list: Member[]): ExposureAddress[] {
  const rule = ruleOrigin(cloud, r.origin);
  return list.map((m) => ({ cidr: memberCidr(m, r.ethertype), from: { kind: 'member', member: memberMatch(cloud, groupId, m), rule } }));
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
 * the rule objects), the CIDRs of each set and of each distinct union of sets, and whole services:
 * ports with the same groups (one rule list), the same member lists and backend have the same services.
 * bench/audit at 100,000 ports: re-parsing every member of every remote group on every port was most of the time;
 * and its ports hold 53,683 distinct group lists, so about half the ports' services are made only once.
 */
interface Shared {
  memberSets: WeakMap<Member[], SourceSet>;
  prefixSets: Map<string, SourceSet>;
  origins: WeakMap<PolicyRule, Map<number, ExposureGroup>>;
  remotes: WeakMap<PolicyRule, ExposureAddress>;
  unions: Map<string, string[]>;
  nextSet: number;
  /** per rule list, the services of each combination of member lists, backend and --members */
  services: WeakMap<readonly PolicyRule[], Map<string, ExposureService[]>>;
  listIds: WeakMap<Member[], number>;
  unfiltered: Map<string, ExposureService[]>;
}

const sharedOf = new WeakMap<Cloud, Shared>();

function shared(cloud: Cloud): Shared {
  let s = sharedOf.get(cloud);
  if (!s) {
    sharedOf.set(cloud, (s = {
      memberSets: new WeakMap(), prefixSets: new Map(), origins: new WeakMap(), remotes: new WeakMap(), unions: new Map(), nextSet: 0,
      services: new WeakMap(), listIds: new WeakMap(), unfiltered: new Map(),
    }));
  }
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
  row: ExposureService;
  sets: SourceSet[];
}

/** A port's exposure: its rows less the port they are all of, shared with every port that has the same services. */
export interface PortExposure {
  port: SnapshotPort;
  services: readonly ExposureService[];
}

export function portServices(cloud: Cloud, port: SnapshotPort, { members = false }: ExposureOptions = {}): readonly ExposureService[] {
  const pp = cloud.policy(port.id);
  const { backend } = cloud.backendAt(port.id);
  const s = shared(cloud);
  if (pp.kind !== 'filtered') {
    const reason = unfilteredReason(pp);
    const key = `${backend} ${reason}`;
    let rows = s.unfiltered.get(key);
    if (!rows) {
      const from = { kind: 'unfiltered', reason } as const;
      s.unfiltered.set(key, (rows = (['IPv4', 'IPv6'] as Family[]).map((f) => ({ ethertype: f, protocol: 'any', ports: 'any', sources: [EVERYTHING[f]], origins: [{ cidr: EVERYTHING[f], from }], backend }))));
    }
    return rows;
  }
  // the member lists of the remote groups the ingress rules name, as this port's node has them
  const lists = pp.groupRules.map((r) => (r.direction === 'ingress' && r.remote.kind === 'group' ? ruleMembers(cloud, pp, r, r.remote.groupId) : undefined));
  // without ipsets each list is this port's own (its fixed IPs left out): nothing to share
  if (!cloud.optionsAt(port.id).enableIpset) return services(cloud, s, pp.groupRules, lists, backend, members);
  let byLists = s.services.get(pp.groupRules);
  if (!byLists) s.services.set(pp.groupRules, (byLists = new Map()));
  const key = `${backend} ${members} ${lists.map((l) => (l ? listId(s, l) : '')).join(',')}`;
  let rows = byLists.get(key);
  if (!rows) byLists.set(key, (rows = services(cloud, s, pp.groupRules, lists, backend, members)));
  return rows;
}

function listId(s: Shared, list: Member[]): number {
  let id = s.listIds.get(list);
  if (id === undefined) s.listIds.set(list, (id = s.nextSet++));
  return id;
}

/** The services of a rule list, given the member list of each rule that names a remote group. */
function services(cloud: Cloud, s: Shared, rules: readonly PolicyRule[], lists: (Member[] | undefined)[], backend: NeutronBackend, members: boolean): ExposureService[] {
  const rows = new Map<string, Gathered>();
  rules.forEach((r, i) => {
    if (r.direction !== 'ingress' || r.origin.kind !== 'group') return;
    const service = `${r.ethertype}|${r.protocol ?? 'any'}|${serviceText(r)}`;
    let g = rows.get(service);
    if (!g) rows.set(service, (g = { row: { ethertype: r.ethertype, protocol: r.protocol ?? 'any', ports: serviceText(r), sources: [], origins: [], backend }, sets: [] }));
    const list = lists[i];
    if (r.remote.kind !== 'group' || !list) {
      const x = remoteSource(cloud, r);
      g.row.origins.push(x);
      g.sets.push(prefixSet(s, x.cidr));
    } else if (members) {
      for (const x of memberSources(cloud, r, r.remote.groupId, list)) {
        g.row.origins.push(x);
        g.sets.push(prefixSet(s, x.cidr));
      }
    } else {
      g.row.origins.push(groupOrigin(cloud, s, r, r.remote.groupId, list.length));
      g.sets.push(memberSet(s, list, r.ethertype));
    }
  });
  return [...rows.values()].map(({ row, sets }) => ({ ...row, sources: rowCidrs(s, row.ethertype, sets) }));
}

export function portExposure(cloud: Cloud, port: SnapshotPort, options: ExposureOptions = {}): ExposureRow[] {
  const ref = portRef(port);
  return portServices(cloud, port, options).map((x) => ({ port: ref, ...x }));
}

function rowCidrs(s: Shared, f: Family, sets: SourceSet[]): string[] {
  const distinct = [...new Set(sets)];
  if (distinct.length === 1) return (distinct[0].cidrs ??= toCidrs({ family: familyOf(f), intervals: distinct[0].intervals }));
  const key = distinct.map((x) => x.id).sort((a, b) => a - b).join(',');
  let cidrs = s.unions.get(key);
  if (!cidrs) s.unions.set(key, (cidrs = toCidrs(union(familyOf(f), distinct.flatMap((x) => x.intervals)))));
  return cidrs;
}

/** Port by port, each port's services shared (see Shared), so a writer can write what ports share once. */
export function* exposureOfPorts(cloud: Cloud, ports: Iterable<SnapshotPort> = cloud.snapshot.ports, options: ExposureOptions = {}): Generator<PortExposure> {
  for (const port of ports) yield { port, services: portServices(cloud, port, options) };
}

/** Port by port, so a caller can write rows as they come (bench/audit: every port's rows at once did not fit in memory at 100,000 ports). */
export function* exposureRows(cloud: Cloud, ports: Iterable<SnapshotPort> = cloud.snapshot.ports, options: ExposureOptions = {}): Generator<ExposureRow> {
  for (const p of ports) yield* portExposure(cloud, p, options);
}

export function exposure(cloud: Cloud, ports: SnapshotPort[] = cloud.snapshot.ports, options: ExposureOptions = {}): ExposureRow[] {
  return [...exposureRows(cloud, ports, options)];
}
