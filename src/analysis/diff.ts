/**
 * Migration impact (`portsec diff`): every flow class whose verdict changes
 * when the same cloud runs another firewall. Built on can-reach, never on a
 * model of its own: the flows are cut into classes — per destination address
 * (fixed IPs and VIPs), service (port ranges cut at every rule's bounds) and
 * sending port, the source addresses split wherever a rule's prefix, a remote
 * group's member on either backend or the sender's anti-spoofing entry begins
 * or ends — and one representative flow of each class is asked of can-reach on
 * both backends. Within a class every rule and member matches alike, so the
 * representative's answers are the class's. Classes with the same answers
 * (same rules, same members) merge into one row.
 */
import { familyBits, formatIp } from '../model/addresses.js';
import { protocolKeyword } from '../model/protocols.js';
import { type Family, type PolicyRule } from '../policy/ir.js';
import { BACKEND_SEMANTICS } from '../policy/neutron-backends.js';
import { type DiffRow, type DiffSide, type ReachAnswer, type ReachQuery, type ReachStep } from './answers.js';
import { addressKey, type Cloud, portRef, push } from './cloud.js';
import { resolveDestinations } from './endpoints.js';
import { askedProtocol, rangesText, type Service, services, serviceWords } from './services.js';
import { hasPorts, ipFamily, isIcmp, matchesService, type Packet, parseAddress, portAdmits, remoteMembers } from './packet.js';
import { canReach, sharedRouter } from './reach.js';
import { type AddressSet, intervalOf, type Interval, toCidrs, union } from './ranges.js';
import { type SnapshotPort } from './snapshot.js';
import { InputError } from './sources/errors.js';

const bits = (f: Family) => familyBits(f === 'IPv4' ? 4 : 6);
const fmt = (f: Family, v: bigint) => formatIp(f === 'IPv4' ? 4 : 6, v);

/** Where a rule's remote admits from on one side (members as that side's backend expands them). */
function remoteIntervals(cloud: Cloud, dst: SnapshotPort, r: PolicyRule): Interval[] {
  if (r.remote.kind === 'any') return [[0n, (1n << BigInt(bits(r.ethertype))) - 1n]];
  if (r.remote.kind === 'prefix') return [intervalOf(r.remote.cidr).interval];
  const pp = cloud.policy(dst.id);
  return remoteMembers(pp, cloud.members(r.remote.groupId, r.ethertype), cloud.topology.options.enableIpset).map((m) => intervalOf(m.ip).interval);
}

/** The addresses a port may send from on either side: its anti-spoofing entries' prefixes (with its MAC), or any when it is not filtered. */
function senderSpace(clouds: readonly Cloud[], p: SnapshotPort, family: Family): Interval[] {
  return clouds.flatMap((cloud): Interval[] => {
    const pp = cloud.policy(p.id);
    if (pp.kind !== 'filtered') return [[0n, (1n << BigInt(bits(family))) - 1n]];
    const mac = p.mac_address.toLowerCase();
    return pp.spoof[family].filter((e) => e.mac === mac && e.cidr !== null).map((e) => intervalOf(e.cidr!).interval);
  });
}

/**
 * The space cut at every bound, the pieces grouped by the bounds that hold them: every
 * address of a group is inside the same rules' prefixes, members and anti-spoofing entries.
 */
function regions(space: Interval[], bounds: Interval[]): [string, Interval[]][] {
  // at each cut, the bounds that begin there and those that ended just before
  const events = new Map<bigint, { start: number[]; end: number[] }>();
  const at = (v: bigint) => {
    let e = events.get(v);
    if (!e) events.set(v, (e = { start: [], end: [] }));
    return e;
  };
  bounds.forEach(([lo, hi], i) => {
    at(lo).start.push(i);
    at(hi + 1n).end.push(i);
  });
  const cuts = [...events.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const active = new Set<number>();
  const groups = new Map<string, Interval[]>();
  const add = (piece: Interval) => {
    push(groups, [...active].sort((x, y) => x - y).join(','), piece);
  };
  let next = 0;
  const advance = (to: bigint) => {
    for (; next < cuts.length && cuts[next] <= to; next++) {
      const e = events.get(cuts[next])!;
      for (const i of e.end) active.delete(i);
      for (const i of e.start) active.add(i);
    }
  };
  for (const [lo, hi] of space) {
    advance(lo);
    let start = lo;
    while (next < cuts.length && cuts[next] <= hi) {
      add([start, cuts[next] - 1n]);
      start = cuts[next];
      advance(start);
    }
    add([start, hi]);
  }
  return [...groups.entries()];
}

/** The address standing for a piece: near its middle, neither another port's fixed IP (can-reach would send it from that port) nor a network's first address. */
function representative(cloud: Cloud, family: Family, [lo, hi]: Interval, sender: SnapshotPort): bigint {
  const taken = (v: bigint) => (cloud.portsByFixedIp.get(addressKey({ family, value: v })) ?? []).some((p) => p.id !== sender.id);
  const start = lo + (hi - lo) / 2n;
  for (let v = start; v <= hi; v++) if (!taken(v) && (v & 0xffn) !== 0n) return v;
  for (let v = start; v >= lo; v--) if (!taken(v)) return v;
  return start;
}

/** The steps that decided an answer: the filtering steps that let an allowed flow through, or every blocked one (once: a VIP's holders are paths alike). */
function deciding(a: ReachAnswer): ReachStep[] {
  const steps = a.verdict === 'ALLOW' ? a.steps.filter((s) => s.stage === 'egress' || s.stage === 'ingress') : a.steps.filter((s) => !s.ok);
  const seen = new Set<string>();
  return steps.filter((s) => {
    const key = JSON.stringify(s);
    return !seen.has(key) && !!seen.add(key);
  });
}

/** A side's decision without the addresses of the flow that stands for it: what makes two pieces one class. */
const decisionKey = (steps: readonly object[]) => JSON.stringify(steps, (k, v: unknown) => (k === 'peer' || k === 'source' ? undefined : v));

/**
 * Rows of one protocol's port ranges decided alike (same sources, senders and deciding rules:
 * a rule for any protocol or port, or no rule at all) as one row listing the ranges; so are
 * rows of ICMP types decided alike (the fixed lines name many types, most decided as the others).
 */
function mergePorts(found: { row: DiffRow; service: Service }[]): DiffRow[] {
  const merged = new Map<string, { row: DiffRow; ranges: [number, number][]; types: string[] }>();
  const decided = (steps: ReachStep[]) => decisionKey(steps.map((s) => ('service' in s ? { ...s, service: null } : s)));
  for (const { row: r, service } of found) {
    const ported = service.protocol !== null && hasPorts(service.protocol) && service.range;
    const typed = service.protocol !== null && isIcmp(service.protocol);
    const key = ported || typed
      ? JSON.stringify([r.destination.address, r.senders.map((x) => x.id), r.ethertype, r.protocol, r.sources, decided(r.from.steps), decided(r.to.steps)])
      : `${merged.size}`;
    const first = merged.get(key);
    if (first && ported) first.ranges.push(ported);
    else if (first && typed) first.types.push(r.ports);
    else merged.set(key, { row: r, ranges: ported ? [ported] : [], types: [r.ports] });
  }
  return [...merged.values()].map(({ row: r, ranges, types }) => (ranges.length > 1 ? { ...r, ports: rangesText(ranges) } : types.length > 1 ? { ...r, ports: types.join(', ') } : r));
}

/** Destination addresses: every port's fixed IPs and the VIPs ports hold as host pairs, on either side. */
function destinations(clouds: readonly Cloud[]): string[] {
  const seen = new Set<string>();
  for (const p of clouds.flatMap((c) => c.snapshot.ports)) {
    for (const text of [...p.fixed_ips.map((f) => f.ip_address), ...p.allowed_address_pairs.map((x) => x.ip_address)]) {
      const a = parseAddress(text);
      if (a) seen.add(fmt(a.family, a.value));
    }
  }
  return [...seen];
}

/** A region of sources (pieces alike) and its representative's answers. */
interface Piece {
  region: Interval[];
  from: ReachAnswer;
  to: ReachAnswer;
}

/** A sender's address, for the plain senders' sweep. */
interface Held {
  port: SnapshotPort;
  value: bigint;
}

/** For each address (sorted), the bounds that hold it, as a key: addresses with one key are inside the same prefixes and members. */
function boundKeys(addresses: Held[], bounds: Interval[]): string[] {
  const order = bounds.map((b, i) => ({ b, i })).sort((x, y) => (x.b[0] < y.b[0] ? -1 : x.b[0] > y.b[0] ? 1 : 0));
  const active = new Map<number, bigint>();
  let key = '';
  let dirty = false;
  let next = 0;
  return addresses.map(({ value }) => {
    for (; next < order.length && order[next].b[0] <= value; next++) {
      active.set(order[next].i, order[next].b[1]);
      dirty = true;
    }
    for (const [i, hi] of active) {
      if (hi < value) {
        active.delete(i);
        dirty = true;
      }
    }
    if (dirty) {
      key = [...active.keys()].sort((x, y) => x - y).join(',');
      dirty = false;
    }
    return key;
  });
}

/** An id per object, to key by list identity (ports with the same groups share their rule list). */
function identities(): (o: object) => number {
  const ids = new WeakMap<object, number>();
  let n = 0;
  return (o) => {
    let id = ids.get(o);
    if (id === undefined) ids.set(o, (id = n++));
    return id;
  };
}

/**
 * The flow classes whose verdict differs between two clouds of the same ports, by
 * destination, service and sender: one snapshot under two backends (`portsec diff`), or
 * a snapshot and the same with a fix applied (fix/prove.ts). With `scope` (the ports whose
 * filtering may differ: their rules, members or addresses), only flows a scoped port
 * sends or receives are asked: a flow between two other ports meets the same rules and
 * members on both sides; and flows from scoped ports out of the cloud (`outbound`).
 *
 * Senders come in two kinds. A plain one — filtered, without pairs — sends from its
 * fixed IPs only, so plain senders on one network with the same rules whose addresses
 * lie inside the same prefixes and members answer alike: each such set is asked once
 * and is one row. Every other port (pairs, no port security, a router) may send many
 * sources and is asked on its own, region by region.
 */
export function diff(from: Cloud, to: Cloud, scope?: ReadonlySet<string>): DiffRow[] {
  const clouds = [from, to];
  const id = identities();
  const isPlain = (p: SnapshotPort) => clouds.every((c) => !c.ports.get(p.id)?.allowed_address_pairs.length && c.policy(p.id).kind === 'filtered');
  const inScope = (p: SnapshotPort) => !scope || scope.has(p.id);
  const special = from.snapshot.ports.filter((p) => !isPlain(p));
  const plain: Record<Family, Held[]> = { IPv4: [], IPv6: [] };
  for (const port of from.snapshot.ports) {
    if (!isPlain(port)) continue;
    for (const f of port.fixed_ips) {
      const a = parseAddress(f.ip_address);
      if (a) plain[a.family].push({ port, value: a.value });
    }
  }
  for (const list of Object.values(plain)) list.sort((x, y) => (x.value < y.value ? -1 : x.value > y.value ? 1 : 0));
  const egressOf = (p: SnapshotPort) => clouds.flatMap((c) => c.policy(p.id).groupRules.filter((r) => r.direction === 'egress'));
  /**
   * The fixed lines of the backends these ports run on either side: their ICMPv6 types and codes are services of
   * their own (OVN's nd_ra with code 0 passes where the iptables driver drops any router advertisement), their
   * local prefixes cut the sources.
   */
  const fixedLines = (family: Family, ports: readonly SnapshotPort[]): PolicyRule[] => {
    const backends = new Set(clouds.flatMap((c) => ports.map((p) => c.backendAt(p.id).backend)));
    return [...backends].flatMap((b) => {
      const lines = BACKEND_SEMANTICS[b].fixedRules[family];
      return [...lines.ingress, ...lines.beforeSpoof, ...lines.afterSpoof];
    });
  };
  /** where a fixed line's source prefix begins and ends: an egress line's own prefix, an ingress line's remote */
  const fixedBounds = (family: Family, ports: readonly SnapshotPort[]) => fixedLines(family, ports).flatMap((r) => {
    const source = r.direction === 'egress' ? r.localPrefix : r.remote.kind === 'prefix' ? r.remote.cidr : null;
    return source ? [intervalOf(source).interval] : [];
  });
  const rows: { row: DiffRow; service: Service }[] = [];
  for (const dst of destinations(clouds)) {
    // the holders on either side (a fix may give or take a VIP)
    const holders = [...new Map(clouds.flatMap((c) => holdersOf(c, dst)).map((p) => [p.id, from.ports.get(p.id) ?? p])).values()];
    const held = new Set(holders.map((h) => h.id));
    // flows to a port out of scope matter only from senders in scope
    const anySender = holders.some(inScope);
    // holders out of scope (one: a VIP's may trade places) admit alike on both sides: a plain sender's verdict changes only where its own chain does
    const anyHolder = anySender || holders.length !== 1;
    const dstValue = intervalOf(dst).interval[0];
    const sentAlike = (h: Held, pkt: Packet) => {
      const [a, b] = clouds.map((c) => portAdmits(c.policy(h.port.id), 'egress', { ...pkt, srcMac: h.port.mac_address.toLowerCase() }, c.membersAt(h.port.id), c.optionsAt(h.port.id).enableIpset));
      return a === b;
    };
    // routing is no firewall's: a sender on a network no router joins to the destination's is denied on every backend
    const routed = new Map<string, boolean>();
    const reaches = (p: SnapshotPort) => {
      let ok = routed.get(p.network_id);
      if (ok === undefined) routed.set(p.network_id, (ok = holders.some((h) => h.network_id === p.network_id || sharedRouter(from, p.network_id, h.network_id) !== undefined)));
      return ok;
    };
    const family = ipFamily(intervalOf(dst).family);
    const ingress = clouds.flatMap((c) => holders.flatMap((h) => c.policy(h.id).rules.filter((r) => r.direction === 'ingress' && r.ethertype === family)));
    // per service: where the holders' rules of it admit from on each side (only they tell its sources apart; a service is alike across its port range)
    const admitted = new Map<string, { bounds: Interval[]; fromCount: number }>();
    const admittedBy = (service: Service, packet: Packet) => {
      const key = JSON.stringify(service);
      let a = admitted.get(key);
      if (!a) {
        const [before, after] = clouds.map((c) => holders.flatMap((h) => c.policy(h.id).rules
          .filter((r) => r.direction === 'ingress' && r.ethertype === family && matchesService(r, packet)).flatMap((r) => remoteIntervals(c, h, r))));
        admitted.set(key, (a = { bounds: [...before, ...after], fromCount: before.length }));
      }
      return a;
    };
    /**
     * Whether sources holding these bounds are admitted alike on both sides (one holder: a VIP's holders
     * may trade places). A sender out of scope meets the same anti-spoofing and egress on both sides, so
     * only where the admission differs can its verdict.
     */
    const admittedAlike = (active: string, a: { bounds: Interval[]; fromCount: number }) => {
      if (holders.length !== 1) return false;
      const held = active ? active.split(',').map(Number).filter((i) => i < a.bounds.length) : [];
      return held.some((i) => i < a.fromCount) === held.some((i) => i >= a.fromCount);
    };
    const ask = (senders: SnapshotPort[], rules: readonly PolicyRule[], each: (service: Service, packet: Packet, probe: ReachQuery) => void) => {
      for (const service of services(family, rules)) {
        const protocol = askedProtocol(service, rules);
        const port = service.range?.[0];
        const packet: Packet = { family, src: 0n, dst: 0n, protocol, dport: port ?? null, sport: service.code };
        each(service, packet, { src: senders[0].id, dst, protocol: protocolKeyword(protocol), ...(port !== undefined && { port }), ...(service.code !== null && { sourcePort: service.code }) });
      }
    };
    const answer = (q: ReachQuery) => differing(clouds, q);

    for (const sender of special) {
      if (held.has(sender.id) || !reaches(sender) || !(anySender || inScope(sender))) continue;
      ask([sender], [...ingress, ...egressOf(sender), ...fixedLines(family, [sender, ...holders])], (service, packet, probe) => {
        const by = admittedBy(service, packet);
        const own = [...senderSpace(clouds, sender, family), ...fixedBounds(family, [sender, ...holders])];
        const bounds = [...by.bounds, ...own];
        let space = union(intervalOf(dst).family, senderSpace(clouds, sender, family)).intervals;
        if (!anyHolder) {
          // the holder admits alike on both sides: only where the sender's own chain differs (constant between its own bounds) can a verdict
          space = union(intervalOf(dst).family, regions(space, own).flatMap(([, region]) => {
            const source = representative(from, family, region[0], sender);
            return sentAlike({ port: sender, value: source }, { ...packet, src: source, dst: dstValue }) ? [] : region;
          })).intervals;
          if (!space.length) return;
        }
        const classes = new Map<string, Piece[]>();
        for (const [active, region] of regions(space, bounds)) {
          if (!inScope(sender) && admittedAlike(active, by)) continue;
          const widest = region.reduce((x, y) => (y[1] - y[0] > x[1] - x[0] ? y : x));
          const source = representative(from, family, widest, sender);
          const answers = answer({ ...probe, sourceIp: fmt(family, source) });
          if (!answers) continue;
          const key = answers.map((a) => decisionKey(deciding(a))).join('|');
          push(classes, key, { region, from: answers[0], to: answers[1] });
        }
        for (const list of classes.values()) rows.push({ row: row(list, family, service, [sender], holders), service });
      });
    }

    const senders = plain[family].filter((h) => !held.has(h.port.id) && reaches(h.port) && (anySender || inScope(h.port)));
    if (!senders.length) continue;
    const egress = new Map<number, readonly PolicyRule[]>();
    for (const { port } of senders) for (const c of clouds) egress.set(id(c.policy(port.id).groupRules), c.policy(port.id).groupRules);
    ask([senders[0].port], [...ingress, ...[...egress.values()].flatMap((rules) => rules.filter((r) => r.direction === 'egress')), ...fixedLines(family, [...senders.map((h) => h.port), ...holders])], (service, packet, probe) => {
      const by = admittedBy(service, packet);
      const keys = boundKeys(senders, by.bounds);
      const sets = new Map<string, Held[]>();
      senders.forEach((h, i) => {
        if (!inScope(h.port) && admittedAlike(keys[i], by)) return;
        if (!anyHolder && sentAlike(h, { ...packet, src: h.value, dst: dstValue })) return;
        push(sets, [h.port.network_id, ...clouds.map((c) => id(c.policy(h.port.id).groupRules)), keys[i]].join('|'), h);
      });
      // sets whose representatives were decided alike (by the same rules and members, whichever port sent) are one class
      const classes = new Map<string, { held: Held[]; answers: ReachAnswer[] }>();
      for (const set of sets.values()) {
        const answers = answer({ ...probe, src: set[0].port.id, sourceIp: fmt(family, set[0].value) });
        if (!answers) continue;
        const key = answers.map((a) => decisionKey(deciding(a).map((s) => (s.stage === 'egress' || s.stage === 'spoof' ? { ...s, port: null } : s)))).join('|');
        const c = classes.get(key);
        if (c) c.held.push(...set);
        else classes.set(key, { held: [...set], answers });
      }
      for (const { held: hs, answers } of classes.values()) {
        const ports = [...new Map(hs.map((h) => [h.port.id, h.port])).values()];
        rows.push({ row: row([{ region: hs.map((h): Interval => [h.value, h.value]), from: answers[0], to: answers[1] }], family, service, ports, holders), service });
      }
    });
  }
  if (scope) rows.push(...outbound(clouds, from.snapshot.ports.filter(inScope), new Set(destinations(clouds)), fixedLines));
  return mergePorts(rows);
}

/** Both clouds' answers to a flow when they differ; none when alike, or when the sender has no address of the flow's family. */
function differing(clouds: readonly Cloud[], q: ReachQuery): ReachAnswer[] | undefined {
  try {
    const answers = clouds.map((c) => canReach(c, q));
    return answers[0].verdict === answers[1].verdict ? undefined : answers;
  } catch (e) {
    // a sender without an address of this family sends none of it
    if (e instanceof InputError) return undefined;
    throw e;
  }
}

/**
 * Flows out of the cloud (a fix's proof: a new group's stock egress must not let a port
 * reach 8.8.8.8 on a port it could not before): from each scoped port to the addresses no
 * port holds, cut at the bounds of its egress rules' remotes on either side. Only the
 * sender's own chain and the way out decide them, so ports on one network with the same
 * rules on both sides are asked once, from the first one's fixed IP.
 */
function outbound(clouds: readonly Cloud[], senders: readonly SnapshotPort[], taken: ReadonlySet<string>,
  fixedLines: (family: Family, ports: readonly SnapshotPort[]) => PolicyRule[]): { row: DiffRow; service: Service }[] {
  const id = identities();
  const sets = new Map<string, SnapshotPort[]>();
  for (const p of senders) {
    if (clouds.some((c) => !c.ports.has(p.id))) continue;
    push(sets, [p.network_id, ...clouds.map((c) => `${c.policy(p.id).kind}:${id(c.policy(p.id).groupRules)}`)].join('|'), p);
  }
  const rows: { row: DiffRow; service: Service }[] = [];
  for (const set of sets.values()) {
    const sender = set[0];
    for (const family of ['IPv4', 'IPv6'] as const) {
      const own = set.flatMap((p) => p.fixed_ips.flatMap((f) => {
        const a = parseAddress(f.ip_address);
        return a?.family === family ? [a.value] : [];
      }));
      if (!own.length) continue;
      const egress = [...clouds.flatMap((c) => c.policy(sender.id).groupRules), ...fixedLines(family, [sender])]
        .filter((r) => r.direction === 'egress' && r.ethertype === family);
      const bounds = clouds.flatMap((c) => egress.flatMap((r) => remoteIntervals(c, sender, r)));
      const whole: Interval[] = [[0n, (1n << BigInt(bits(family))) - 1n]];
      for (const service of services(family, egress)) {
        const protocol = askedProtocol(service, egress);
        const port = service.range?.[0];
        const classes = new Map<string, { regions: Interval[]; answers: ReachAnswer[] }>();
        for (const [, region] of regions(whole, bounds)) {
          const dst = outsideAddress(family, region, taken);
          if (dst === undefined) continue;
          const answers = differing(clouds, { src: sender.id, dst: fmt(family, dst), protocol: protocolKeyword(protocol), ...(port !== undefined && { port }), ...(service.code !== null && { sourcePort: service.code }) });
          if (!answers) continue;
          const key = answers.map((a) => decisionKey(deciding(a))).join('|');
          const c = classes.get(key);
          if (c) c.regions.push(...region);
          else classes.set(key, { regions: [...region], answers });
        }
        for (const { regions: destination, answers } of classes.values()) {
          const cidrs = toCidrs(union(family === 'IPv4' ? 4 : 6, destination));
          const sources: Piece = { region: own.map((v): Interval => [v, v]), from: answers[0], to: answers[1] };
          const r = row([sources], family, service, set, []);
          rows.push({ row: { ...r, destination: { address: cidrs.length === 1 ? cidrs[0] : r.destination.address, ports: [] } }, service });
        }
      }
    }
  }
  return rows;
}

/** An address of the region no port holds (as a fixed IP or a VIP), near the middle of its widest piece: one outside the cloud. */
function outsideAddress(family: Family, region: Interval[], taken: ReadonlySet<string>): bigint | undefined {
  const [lo, hi] = region.reduce((x, y) => (y[1] - y[0] > x[1] - x[0] ? y : x));
  const start = lo + (hi - lo) / 2n;
  for (let v = start, n = 0; v <= hi && n < 1024; v++, n++) if (!taken.has(fmt(family, v))) return v;
  for (let v = start, n = 0; v >= lo && n < 1024; v--, n++) if (!taken.has(fmt(family, v))) return v;
  return undefined;
}

/** The ports holding an address in one cloud: none when it holds no port (a VIP a fix removed). */
function holdersOf(cloud: Cloud, address: string): SnapshotPort[] {
  try {
    return resolveDestinations(cloud, address).flatMap((d) => d.port ?? []);
  } catch (e) {
    if (e instanceof InputError) return [];
    throw e;
  }
}

/** The smallest CIDR holding the set, and the blocks of it outside the set. */
function cover(set: AddressSet): DiffRow['cover'] {
  const width = familyBits(set.family);
  const lo = set.intervals[0][0];
  const hi = set.intervals[set.intervals.length - 1][1];
  let prefixlen = width;
  while (prefixlen > 0 && (lo >> BigInt(width - prefixlen)) !== (hi >> BigInt(width - prefixlen))) prefixlen--;
  const first = (lo >> BigInt(width - prefixlen)) << BigInt(width - prefixlen);
  const last = first + (1n << BigInt(width - prefixlen)) - 1n;
  const gaps: Interval[] = [];
  let next = first;
  for (const [a, b] of set.intervals) {
    if (a > next) gaps.push([next, a - 1n]);
    next = b + 1n;
  }
  if (next <= last) gaps.push([next, last]);
  return { cidr: `${formatIp(set.family, first)}/${prefixlen}`, except: toCidrs({ family: set.family, intervals: gaps }) };
}

function row(list: Piece[], family: Family, service: Service, senders: SnapshotPort[], holders: SnapshotPort[]): DiffRow {
  const size = (p: Piece) => p.region.reduce((n, [lo, hi]) => n + hi - lo + 1n, 0n);
  const widest = list.reduce((a, b) => (size(b) > size(a) ? b : a));
  const side = (a: ReachAnswer): DiffSide => ({ backend: a.backend, verdict: a.verdict, steps: deciding(a), changes: a.changes });
  const set = union(family === 'IPv4' ? 4 : 6, list.flatMap((p) => p.region));
  return {
    destination: { address: widest.from.query.dst, ports: holders.map(portRef) },
    ethertype: family,
    ...serviceWords(service),
    sources: toCidrs(set),
    cover: cover(set),
    senders: senders.map(portRef),
    flow: widest.from.query,
    from: side(widest.from),
    to: side(widest.to),
  };
}
