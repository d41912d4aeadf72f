/**
 * A packet as the analyzer follows it, and whether one IR rule matches it the
 * way the kernel does: protocols by number, as the agents' backend renders a
 * rule's protocol (its matchedProtocol), ports and ICMP types as its rules match them.
 */
import { BACKENDS, DEFAULT_BACKEND } from '../backends/index.js';
import { type Family as IpFamily, familyBits } from '../model/addresses.js';
import { ICMP_PROTOCOLS, keywordNumber, PORT_PROTOCOLS, protocolNumber } from '../model/protocols.js';
import { type Family, type FixedWhat, type Member, type PolicyRule, type PortPolicy, type SpoofEntry } from '../policy/ir.js';
import { FIXED_RULES, type FixedRule, type FixedRules } from '../policy/fixed-rules.js';
import { intervalOf, type Interval, parsePrefix, type AddressSet, union } from './ranges.js';

export interface Packet {
  family: Family;
  src: bigint;
  dst: bigint;
  /** the protocol's number (6 tcp, 1 icmp, 112 vrrp, …) */
  protocol: number;
  /** destination port (tcp, udp, …) or ICMP type */
  dport: number | null;
  /** source port, or ICMP code */
  sport: number | null;
  /** the frame's source MAC where the chain sees it (the sending port's, or the router's), when known: a MAC-pinned member matches only it */
  srcMac?: string;
}

const numbers = (set: ReadonlySet<string>) => new Set([...set].map(Number));
/** protocols whose rules match ports, and ICMP and ICMPv6, whose rules match a type and code */
const PORTS = numbers(PORT_PROTOCOLS);
const ICMP = numbers(ICMP_PROTOCOLS);
export const isIcmp = (protocol: number | null) => protocol !== null && ICMP.has(protocol);
export const hasPorts = (protocol: number | null) => protocol !== null && PORTS.has(protocol);

export const ipFamily = (f: IpFamily): Family => (f === 4 ? 'IPv4' : 'IPv6');

/** The protocol number a rule's protocol matches on the nodes, or null for every protocol. */
export const ruleProtocol: (protocol: string | null) => number | null = BACKENDS[DEFAULT_BACKEND].matchedProtocol;

/** The one protocol a query names: a name (as /etc/protocols has it, else as the API does) or a number 1-255; undefined if none. */
export function queryProtocol(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (/^[0-9]+$/.test(lower)) return /^([1-9]\d?|1\d\d|2[0-4]\d|25[0-5])$/.test(lower) ? Number(lower) : undefined;
  const api = protocolNumber(lower);
  return keywordNumber(lower) ?? (api !== lower ? Number(api) : undefined);
}

export function inPrefix(prefix: string, family: Family, value: bigint): boolean {
  const { family: f, interval } = intervalOf(prefix);
  return ipFamily(f) === family && value >= interval[0] && value <= interval[1];
}

/** A host address (no prefix, or a full-length one), or undefined. */
export function parseAddress(text: string): { family: Family; value: bigint } | undefined {
  const p = parsePrefix(text);
  return p && p.prefixlen === (p.family === 4 ? 32 : 128) ? { family: ipFamily(p.family), value: p.interval[0] } : undefined;
}

function rangeMatches(protocol: number | null, min: number | null, max: number | null, port: number | null, code: number | null): boolean {
  if (min === null || protocol === null) return true;
  if (ICMP.has(protocol)) return port === min && (max === null || code === max);
  if (!PORTS.has(protocol)) return true;
  return port !== null && port >= min && port <= (max ?? min);
}

/** Protocol and ports of a rule against a packet (the remote is matched apart). */
export function matchesService(r: Pick<PolicyRule, 'protocol' | 'portMin' | 'portMax' | 'sourcePortMin' | 'sourcePortMax'>, p: Packet): boolean {
  const protocol = ruleProtocol(r.protocol);
  if (protocol !== null && protocol !== p.protocol) return false;
  // rule-args renders an ICMP type from either pair of fields: Neutron's RA rule keeps it in the source ones
  if (protocol !== null && ICMP.has(protocol)) {
    return r.portMin === null ? rangeMatches(protocol, r.sourcePortMin, r.sourcePortMax, p.dport, p.sport) : rangeMatches(protocol, r.portMin, r.portMax, p.dport, p.sport);
  }
  return rangeMatches(protocol, r.sourcePortMin, r.sourcePortMax, p.sport, null) && rangeMatches(protocol, r.portMin, r.portMax, p.dport, null);
}

/**
 * The addresses a remote-group rule admits on this port: with ipsets every
 * member (a /0 as its two halves, i.e. everything); without, each member's
 * network except the port's own fixed IPs, as the driver expands them.
 */
export function remoteMembers(pp: PortPolicy, members: Member[], enableIpset: boolean): Member[] {
  return enableIpset ? members : members.filter((m) => !pp.port.fixed_ips.includes(m.ip));
}

/** A member list's addresses, parsed once: host addresses by value (the first member of each), wider prefixes in member order. */
interface MemberLookup {
  hosts: Record<Family, Map<bigint, Member>>;
  prefixes: { member: Member; family: Family; interval: Interval; prefixlen: number }[];
}

// can-reach asks the same remote groups' member lists over and over: scanning and re-parsing every member per rule dominated queries
const lookups = new WeakMap<Member[], MemberLookup>();

function memberLookup(members: Member[]): MemberLookup {
  let lookup = lookups.get(members);
  if (lookup) return lookup;
  lookup = { hosts: { IPv4: new Map(), IPv6: new Map() }, prefixes: [] };
  for (const member of members) {
    const { family: f, interval, prefixlen } = intervalOf(member.ip);
    const family = ipFamily(f);
    const hosts = lookup.hosts[family];
    if (prefixlen < familyBits(f)) lookup.prefixes.push({ member, family, interval, prefixlen });
    else if (!hosts.has(interval[0])) hosts.set(interval[0], member);
  }
  lookups.set(members, lookup);
  return lookup;
}

/**
 * The narrowest member whose address covers the peer, if any (a host's own address explains best); of equally narrow ones the first.
 * A member pinned to a MAC (only wide ones are) covers it only in a frame from that MAC.
 */
export function matchingMember(members: Member[], family: Family, peer: bigint, srcMac?: string): Member | undefined {
  const { hosts, prefixes } = memberLookup(members);
  const host = hosts[family].get(peer);
  if (host) return host;
  let best: (typeof prefixes)[number] | undefined;
  for (const p of prefixes) {
    if ((!best || p.prefixlen > best.prefixlen) && p.family === family && peer >= p.interval[0] && peer <= p.interval[1]
      && (!p.member.srcMac || p.member.srcMac === srcMac)) best = p;
  }
  return best?.member;
}

export function prefixLength(text: string): number {
  return intervalOf(text).prefixlen;
}

export function memberSet(members: Member[], family: Family): AddressSet {
  return union(family === 'IPv4' ? 4 : 6, members.map((m) => intervalOf(m.ip).interval));
}

/** The port's anti-spoofing entry that lets the packet out (from the port's own MAC), if any. */
export function spoofEntry(pp: PortPolicy, pkt: Packet): SpoofEntry | undefined {
  const mac = pp.port.mac_address.toLowerCase();
  return pp.spoof[pkt.family].find((e) => e.mac === mac && (e.cidr === null || inPrefix(e.cidr, pkt.family, pkt.src)));
}

/** a remote group's members as a port's node holds them for rules of one direction */
type MembersOf = (groupId: string, family: Family, direction: 'ingress' | 'egress') => Member[];

/** Whether a rule's service and its pinned own address (the destination on ingress, the source on egress) match the packet. */
function matchesOwnSide(r: PolicyRule, direction: 'ingress' | 'egress', pkt: Packet): boolean {
  if (r.direction !== direction || r.ethertype !== pkt.family || !matchesService(r, pkt)) return false;
  return !r.localPrefix || inPrefix(r.localPrefix, pkt.family, direction === 'ingress' ? pkt.dst : pkt.src);
}

/** The fixed line that decides a packet, whether the chain meets it before anti-spoofing, and whether it switches the packet past the destination's ingress chain. */
export interface FixedLine {
  what: FixedWhat;
  verdict: 'accept' | 'drop';
  beforeSpoof: boolean;
  switched: boolean;
}

/**
 * Whether any of the port's anti-spoofing entries, from any of its MACs, covers a neighbour advertisement's
 * target: the sender's own address, or, with a code other than 0 (which OVS parses no target of), `::`.
 */
function ownTarget(pkt: Packet, pp?: PortPolicy): boolean {
  const target = (pkt.sport ?? 0) === 0 ? pkt.src : 0n;
  return !!pp?.spoof[pkt.family].some((e) => e.cidr !== null && inPrefix(e.cidr, pkt.family, target));
}

/**
 * The first of the backend's fixed lines (policy/fixed-rules.ts; the iptables driver's by default) of a
 * filtered port's chain that matches the packet; undefined: the rules decide. A neighbour advertisement's
 * line needs the sending port (its target, taken as the source, must be the port's).
 */
export function fixedLine(direction: 'ingress' | 'egress', pkt: Packet, fixedRules: Record<Family, FixedRules> = FIXED_RULES, pp?: PortPolicy): FixedLine | undefined {
  const peer = direction === 'ingress' ? pkt.src : pkt.dst;
  const first = (rules: readonly FixedRule[], beforeSpoof: boolean): FixedLine | undefined => {
    const r = rules.find((x) => matchesOwnSide(x, direction, pkt) && (x.remote.kind === 'any' || (x.remote.kind === 'prefix' && inPrefix(x.remote.cidr, pkt.family, peer)))
      && (!x.ownTarget || ownTarget(pkt, pp)));
    return r && { what: r.origin.what, verdict: r.origin.verdict, beforeSpoof, switched: !!r.switched };
  };
  const fixed = fixedRules[pkt.family];
  return direction === 'ingress' ? first(fixed.ingress, false) : first(fixed.beforeSpoof, true) ?? first(fixed.afterSpoof, false);
}

/** The first rule of one direction of the port's chain that admits the packet, and the member that made a remote group match. */
export function firstAdmitting(pp: PortPolicy, direction: 'ingress' | 'egress', pkt: Packet, members: MembersOf, enableIpset: boolean):
  { rule: PolicyRule; member?: { groupId: string; member: Member } } | undefined {
  const peer = direction === 'ingress' ? pkt.src : pkt.dst;
  for (const r of pp.rules) {
    if (!matchesOwnSide(r, direction, pkt)) continue;
    if (r.remote.kind === 'any') return { rule: r };
    if (r.remote.kind === 'prefix') {
      if (inPrefix(r.remote.cidr, pkt.family, peer)) return { rule: r };
      continue;
    }
    const member = matchingMember(remoteMembers(pp, members(r.remote.groupId, pkt.family, direction), enableIpset), pkt.family, peer, pkt.srcMac);
    if (member) return { rule: r, member: { groupId: r.remote.groupId, member } };
  }
  return undefined;
}

/**
 * Whether the port's chain of one direction lets a new flow's first packet pass:
 * the fixed lines, anti-spoofing (egress) and the rules, as can-reach follows them.
 * What the data plane asks of each tracked connection after a change.
 */
export function portAdmits(pp: PortPolicy, direction: 'ingress' | 'egress', pkt: Packet, members: MembersOf, enableIpset: boolean): boolean {
  if (pp.kind !== 'filtered') return true;
  const fixed = fixedLine(direction, pkt);
  if (fixed) return fixed.verdict === 'accept' && (fixed.beforeSpoof || direction === 'ingress' || !!spoofEntry(pp, pkt));
  return (direction === 'ingress' || !!spoofEntry(pp, pkt)) && !!firstAdmitting(pp, direction, pkt, members, enableIpset);
}
