/**
 * Random flows inside one logical switch, each as an ovn-trace microflow and
 * as the can-reach query for the same packet. The source is a port sending
 * from its fixed IP, an allowed-address pair (with the pair's MAC or its own),
 * another port's address or a foreign one, now and then from a MAC it does not
 * hold; the destination another port's MAC with its fixed IP, a pair's address
 * (to the pair's MAC), an address it does not hold, broadcast or multicast (to
 * the group MACs). Protocols and ports gather around the cloud's rules.
 */
import { type ReachQuery } from '../../src/analysis/answers.js';
import { type Snapshot, type SnapshotPort } from '../../src/analysis/snapshot.js';
import { canonicalMac, type Family, formatIp, parseCidr, parseIp } from '../../src/model/addresses.js';
import { protocolNumber } from '../../src/model/protocols.js';
import { eui64 } from '../../src/model/ipam.js';
import { type Random } from '../../src/model/random.js';

export type SourceKind = 'fixed' | 'pair' | 'pair-own-mac' | 'peer' | 'foreign' | 'foreign-mac';
export type DestinationKind = 'fixed' | 'pair' | 'not-held' | 'broadcast' | 'multicast';

export interface OvnFlow {
  microflow: string;
  query: ReachQuery;
  from: string;
  /** the destination port: delivered when ovn-trace outputs the packet to it */
  to: string;
  srcMac: string;
  dstMac: string;
  source: SourceKind;
  destination: DestinationKind;
  text: string;
}

const TCP = 6;
const UDP = 17;
const ICMP = 1;
const ICMPV6 = 58;
const SCTP = 132;
/** protocols with ports in OVN's match fields; DCCP (33) and UDP-Lite (136) have none there */
const L4_FIELDS: Record<number, string> = { [TCP]: 'tcp', [UDP]: 'udp', [SCTP]: 'sctp' };
const OTHER_PROTOCOLS = [33, 136, 112, 47, 89, 50, 253, 2];
/** ICMPv6 types of neighbour discovery (hop limit 255) and MLD, which OVN lets through without ACLs */
const ND_TYPES = [133, 134, 135, 136];
const MLD_TYPES = [130, 131, 132, 143];

const familyOf = (ip: string): Family => (ip.includes(':') ? 6 : 4);
const fixedOf = (p: SnapshotPort, f: Family) => p.fixed_ips.map((x) => x.ip_address).filter((ip) => familyOf(ip) === f);
const pairsOf = (p: SnapshotPort, f: Family) => p.allowed_address_pairs.filter((a) => familyOf(a.ip_address) === f);
/** a MAC in any of the API's spellings as OVN writes it */
const macOf = (s: string) => canonicalMac(s)!;
const isPrefix = (ip: string) => ip.includes('/') && !/\/(32|128)$/.test(ip);
const LINK_LOCAL = parseCidr('fe80::/64')!;

export class OvnFlowPlanner {
  private readonly networks: SnapshotPort[][];
  private readonly ports: number[];
  private readonly icmpTypes: Record<Family, [number, number | null][]> = { 4: [[8, 0], [0, 0], [3, 3]], 6: [[128, 0], [129, 0], [1, 4]] };
  private readonly protocols: number[] = [];

  constructor(private readonly rng: Random, snapshot: Snapshot) {
    const byNetwork = new Map<string, SnapshotPort[]>();
    for (const p of snapshot.ports) byNetwork.set(p.network_id, [...(byNetwork.get(p.network_id) ?? []), p]);
    this.networks = [...byNetwork.values()].filter((ps) => ps.length >= 2);
    const ports = new Set([22, 80, 443, 67, 68, 546, 547]);
    for (const r of snapshot.security_group_rules) {
      const n = r.protocol === null ? null : Number(protocolNumber(r.protocol.toLowerCase()));
      if (n !== null && Number.isInteger(n) && n >= 1) this.protocols.push(n === ICMP && r.ethertype === 'IPv6' ? ICMPV6 : n);
      if (r.port_range_min === null) continue;
      if (n === ICMP || n === ICMPV6) this.icmpTypes[r.ethertype === 'IPv4' ? 4 : 6].push([r.port_range_min, r.port_range_max]);
      else for (const x of [r.port_range_min - 1, r.port_range_min, r.port_range_max ?? r.port_range_min, (r.port_range_max ?? r.port_range_min) + 1]) if (x >= 1 && x <= 65535) ports.add(x);
    }
    this.ports = [...ports];
  }

  /** whether any switch has two ports to send between */
  get usable(): boolean {
    return this.networks.length > 0;
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rng() * xs.length)];
  }

  private chance(p: number): boolean {
    return this.rng() < p;
  }

  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.rng() * (hi - lo + 1));
  }

  /** an address inside a prefix (a host pair is itself) */
  private inside(cidr: string): string {
    const c = parseCidr(cidr, true)!;
    const bits = (c.family === 4 ? 32 : 128) - c.prefixlen;
    let host = 0n;
    for (let b = 0; b < bits; b += 30) host = (host << 30n) | BigInt(Math.floor(this.rng() * 2 ** 30));
    const mask = (1n << BigInt(bits)) - 1n;
    const base = c.address & ~mask;
    host &= mask;
    return formatIp(c.family, base | host);
  }

  private foreignAddress(f: Family): string {
    return f === 4 ? `203.0.113.${this.int(1, 254)}` : `2001:db8:ffff::${this.int(1, 0xfffe).toString(16)}`;
  }

  next(): OvnFlow {
    const ports = this.pick(this.networks);
    const src = this.pick(ports);
    const dst = this.pick(ports.filter((p) => p.id !== src.id));
    const families = [...new Set([...dst.fixed_ips, ...src.fixed_ips].map((x) => familyOf(x.ip_address)))];
    const family: Family = families.length ? this.pick(families) : this.chance(0.5) ? 4 : 6;

    // the source: address and MAC
    const own = macOf(src.mac_address);
    const kinds: SourceKind[] = [];
    if (fixedOf(src, family).length) kinds.push('fixed', 'fixed', 'fixed', 'fixed');
    if (pairsOf(src, family).length) kinds.push('pair', 'pair', 'pair-own-mac');
    kinds.push('peer', 'foreign', 'foreign-mac');
    const source = this.pick(kinds);
    let srcIp: string;
    let srcMac = own;
    const peers = ports.flatMap((p) => (p.id === src.id ? [] : fixedOf(p, family)));
    if (source === 'fixed') srcIp = this.pick(fixedOf(src, family));
    else if (source === 'pair' || source === 'pair-own-mac') {
      const pair = this.pick(pairsOf(src, family));
      srcIp = this.inside(pair.ip_address);
      if (source === 'pair' && pair.mac_address) srcMac = macOf(pair.mac_address);
    } else if (source === 'peer' && peers.length) srcIp = this.pick(peers);
    else srcIp = this.foreignAddress(family);
    if (source === 'foreign-mac') {
      srcIp = this.pick([...fixedOf(src, family), srcIp]);
      srcMac = `fa:16:3e:ff:${this.int(16, 255).toString(16)}:${this.int(16, 255).toString(16)}`;
    }

    // the destination: address and MAC
    const dkinds: DestinationKind[] = ['not-held', 'not-held', 'broadcast', 'multicast'];
    if (fixedOf(dst, family).length) dkinds.push('fixed', 'fixed', 'fixed', 'fixed', 'fixed');
    // a pair's address is sent to the pair's MAC where ARP or ND would answer with it: a host pair whose MAC no other port holds
    const macHolders = (mac: string) => ports.filter((p) => macOf(p.mac_address) === mac || p.allowed_address_pairs.some((a) => a.mac_address && macOf(a.mac_address) === mac));
    const dstMacOf = (a: SnapshotPort['allowed_address_pairs'][number]) => (a.mac_address ? macOf(a.mac_address) : macOf(dst.mac_address));
    const dstPairs = pairsOf(dst, family).filter((a) => dstMacOf(a) === macOf(dst.mac_address) || (!isPrefix(a.ip_address) && macHolders(dstMacOf(a)).length === 1));
    if (dstPairs.length) dkinds.push('pair', 'pair');
    const destination = this.pick(dkinds);
    let dstIp: string;
    let dstMac = macOf(dst.mac_address);
    if (destination === 'fixed') dstIp = this.pick(fixedOf(dst, family));
    else if (destination === 'pair') {
      const pair = this.pick(dstPairs);
      dstIp = this.inside(pair.ip_address);
      dstMac = dstMacOf(pair);
    } else if (destination === 'not-held') dstIp = this.chance(0.5) && peers.length ? this.pick(peers) : this.foreignAddress(family);
    else if (destination === 'broadcast') {
      dstIp = family === 4 ? '255.255.255.255' : 'ff02::1';
      dstMac = family === 4 ? 'ff:ff:ff:ff:ff:ff' : '33:33:00:00:00:01';
    } else {
      dstIp = family === 4 ? this.pick(['224.0.0.18', '224.0.0.251', '239.1.2.3']) : this.pick(['ff02::16', 'ff02::fb', 'ff05::1:3']);
      const v = parseIp(dstIp)!.value;
      const hex = (n: bigint) => n.toString(16).padStart(2, '0');
      dstMac = family === 4 ? `01:00:5e:${hex((v >> 16n) & 0x7fn)}:${hex((v >> 8n) & 0xffn)}:${hex(v & 0xffn)}`
        : `33:33:${[24n, 16n, 8n, 0n].map((s) => hex((v >> s) & 0xffn)).join(':')}`;
    }

    // the protocol, ports or ICMP type and code
    const icmp = family === 4 ? ICMP : ICMPV6;
    const protocol = this.protocols.length && this.chance(0.5) ? this.pick(this.protocols) : this.pick([TCP, TCP, TCP, UDP, UDP, icmp, icmp, SCTP, ...OTHER_PROTOCOLS]);
    const proto = protocol === ICMP || protocol === ICMPV6 ? icmp : protocol;
    let l4 = '';
    let port: number | undefined;
    let sourcePort: number | undefined;
    let ttl = 64;
    if (proto === icmp) {
      const nd = family === 6 && this.chance(0.25);
      const [type, code] = nd ? [this.pick([...ND_TYPES, ...MLD_TYPES]), 0] : this.pick(this.icmpTypes[family]);
      // neighbour discovery as hosts send it: code 0, hop limit 255, an advertisement for the sender's address
      const isNd = family === 6 && ND_TYPES.includes(type);
      const c = isNd ? 0 : code ?? this.int(0, 3);
      if (isNd) ttl = 255;
      if (nd && MLD_TYPES.includes(type) && this.chance(0.7)) {
        // MLD comes from the sender's link-local address
        srcIp = formatIp(6, eui64(LINK_LOCAL, srcMac));
      }
      l4 = family === 4 ? ` && icmp4 && icmp4.type == ${type} && icmp4.code == ${c}` : ` && icmp6 && icmp6.type == ${type} && icmp6.code == ${c}`;
      // an advertisement is for the sender's address; a solicitation for an address OVN knows is answered by its
      // ND responder and never delivered, so it asks for one no port holds
      if (isNd && (type === 135 || type === 136)) l4 += ` && nd.target == ${type === 136 ? srcIp : this.foreignAddress(6)}`;
      port = type;
      sourcePort = c;
    } else {
      port = this.chance(0.8) ? this.pick(this.ports) : this.int(1, 65535);
      sourcePort = this.chance(0.1) ? this.pick(this.ports) : this.int(32768, 60999);
      const field = L4_FIELDS[proto];
      l4 = field ? ` && ${field} && ${field}.src == ${sourcePort} && ${field}.dst == ${port}` : ` && ip.proto == ${proto}`;
    }
    const ip = family === 4 ? 'ip4' : 'ip6';
    const microflow = `inport == "${src.id}" && eth.src == ${srcMac} && eth.dst == ${dstMac} && ${ip}.src == ${srcIp} && ${ip}.dst == ${dstIp} && ip.ttl == ${ttl}${l4}`;
    const query: ReachQuery = {
      src: src.id, dst: dst.id, protocol: String(proto), port, sourcePort, sourceIp: srcIp, destinationIp: dstIp,
      ...(srcMac !== own && { sourceMac: srcMac }),
    };
    const text = `${src.id} (${srcMac}, ${srcIp}: ${source}) -> ${dst.id} (${dstMac}, ${dstIp}: ${destination}) protocol ${proto} ${port ?? ''}/${sourcePort ?? ''}`;
    return { microflow, query, from: src.id, to: dst.id, srcMac, dstMac, source, destination, text };
  }
}
