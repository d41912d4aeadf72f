/**
 * Random new flows into one compute node's ports (to a fixed IP, or a VIP held
 * as a pair), each as two questions: the flow `ofproto/trace` takes (ovs-ofctl syntax) and the can-reach query about
 * the same packet. Sources are the node's own ports (from their ofport and
 * MAC) or ports on other nodes (from the tunnel, tagged with the network's
 * local VLAN); source addresses are the port's fixed IP, a pair's address,
 * its IPv6 link-local address or a spoofed one (another port's, a stranger's);
 * services come from the rules in force and around their edges, Neutron's
 * fixed allowances (DHCP, NDP) and other protocols.
 */
import { type ReachQuery } from '../../src/analysis/answers.js';
import { addressKey, type Cloud } from '../../src/analysis/cloud.js';
import { hasPorts, isIcmp, parseAddress, ruleProtocol } from '../../src/analysis/packet.js';
import { type SnapshotPort, type SnapshotRule } from '../../src/analysis/snapshot.js';
import { formatIp, parseCidr } from '../../src/model/addresses.js';
import { type Random } from '../../src/model/random.js';
import { type Family } from '../../src/policy/ir.js';
import { type LocalPort, TUNNEL_OFPORT } from './ovs-bridge.js';

export type SourceKind = 'fixed-ip' | 'pair' | 'link-local' | 'other-port' | 'stranger';

export interface PlannedFlow {
  /** the flow as ofproto/trace takes it */
  flow: string;
  query: ReachQuery;
  /** where the sender is: on this node (both its egress and the destination's ingress are traced) or another (only the ingress is here) */
  sender: 'local' | 'remote';
  source: SourceKind;
  /** the destination port's ofport, and whether the flow is sent to a VIP it holds as a pair */
  dstOfport: number;
  vip: boolean;
}

const OTHER_PROTOCOLS: Record<Family, number[]> = {
  // tcp udp icmp sctp dccp udplite gre vrrp esp ipip
  IPv4: [6, 17, 1, 132, 33, 136, 47, 112, 50, 4],
  // tcp udp ipv6-icmp sctp dccp udplite gre vrrp esp ipv6-in-ipv6
  IPv6: [6, 17, 58, 132, 33, 136, 47, 112, 50, 41],
};
/** DHCP client and server ports, per family */
const DHCP: Record<Family, [number, number]> = { IPv4: [68, 67], IPv6: [546, 547] };
/** ICMPv6 types Neutron's firewalls treat apart: MLD query, router solicitation and advertisement, neighbour solicitation and advertisement */
const NDP = [130, 133, 134, 135, 136];

/** the protocols OVS parses ports of, and its field names for them (dccp and udplite travel without) */
const L4_PORT_FIELDS: Record<number, string> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };

const STRANGERS: Record<Family, string> = { IPv4: '203.0.113.0/24', IPv6: '2001:db8:ffff::/48' };

interface Sender {
  port: SnapshotPort;
  /** set when the port is on this node */
  local?: LocalPort;
}

export class FlowPlanner {
  private readonly byOfport: Map<string, LocalPort>;
  /** each with the ports that may send to it: any port of this node, another node's on its network */
  private readonly destinations: { port: SnapshotPort; ofport: number; vlan: number; ips: { family: Family; text: string; vip: boolean }[]; senders: Sender[] }[];

  constructor(private readonly rnd: Random, private readonly cloud: Cloud, local: LocalPort[]) {
    this.byOfport = new Map(local.map((l) => [l.port.id, l]));
    // a destination address must name one port: can-reach resolves DST by it
    this.destinations = local.flatMap((l) => {
      const port = cloud.ports.get(l.port.id)!;
      // its fixed IPs and its host pairs (a VIP), each if no other port has it: the firewall checks no destination address
      const fixed = new Set(port.fixed_ips.map((f) => f.ip_address));
      const ips = [...port.fixed_ips, ...port.allowed_address_pairs].flatMap(({ ip_address: text }) => {
        const a = parseAddress(text);
        const holders = a && [...(cloud.portsByFixedIp.get(addressKey(a)) ?? []), ...(cloud.portsByHostPair.get(addressKey(a)) ?? [])];
        return a && holders!.every((p) => p.id === port.id) ? [{ family: a.family, text: formatIp(a.family === 'IPv4' ? 4 : 6, a.value), vip: !fixed.has(text) }] : [];
      });
      const senders = cloud.snapshot.ports.flatMap((p) => {
        const sender = { port: p, local: this.byOfport.get(p.id) };
        return p.id !== port.id && (sender.local || p.network_id === port.network_id) ? [sender] : [];
      });
      return ips.length && senders.length ? [{ port, ofport: l.ofport, vlan: l.vlan, ips, senders }] : [];
    });
  }

  get possible(): boolean {
    return this.destinations.length > 0;
  }

  private pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.rnd() * list.length)];
  }

  private int(min: number, max: number): number {
    return min + Math.floor(this.rnd() * (max - min + 1));
  }

  /** A random address inside a CIDR of this family. */
  private inside(cidr: string): string {
    const c = parseCidr(cidr, true)!;
    const bits = c.family === 4 ? 32 : 128;
    const hostBits = BigInt(bits - c.prefixlen);
    const net = (c.address >> hostBits) << hostBits;
    const span = 1n << hostBits;
    const offset = span <= 1n ? 0n : BigInt(Math.floor(this.rnd() * 2 ** 31)) * BigInt(Math.floor(this.rnd() * 2 ** 31)) % span;
    return formatIp(c.family, net + offset);
  }

  private sourceAddress(sender: SnapshotPort, family: Family): { ip: string; kind: SourceKind } {
    const fam = (text: string) => parseCidr(text, true)?.family === (family === 'IPv4' ? 4 : 6);
    const options: (() => { ip: string; kind: SourceKind } | undefined)[] = [
      () => {
        const f = sender.fixed_ips.filter((x) => fam(x.ip_address));
        return f.length ? { ip: this.pick(f).ip_address, kind: 'fixed-ip' } : undefined;
      },
      () => {
        const p = sender.allowed_address_pairs.filter((x) => fam(x.ip_address));
        return p.length ? { ip: this.inside(this.pick(p).ip_address), kind: 'pair' } : undefined;
      },
      () => (family === 'IPv6' ? { ip: linkLocal(sender.mac_address), kind: 'link-local' } : undefined),
      () => {
        const ips = this.cloud.snapshot.ports.flatMap((p) => (p.id === sender.id ? [] : p.fixed_ips.filter((x) => fam(x.ip_address))));
        return ips.length ? { ip: this.pick(ips).ip_address, kind: 'other-port' } : undefined;
      },
      () => ({ ip: this.inside(STRANGERS[family]), kind: 'stranger' }),
    ];
    for (;;) {
      const got = this.pick(options)();
      if (got) return got;
    }
  }

  /** Protocol, destination port (or ICMP type) and source port (or ICMP code). */
  private service(family: Family, rules: SnapshotRule[]): { protocol: number; dport: number | null; sport: number | null } {
    const roll = this.rnd();
    const ephemeral = () => this.int(1024, 65535);
    if (roll < 0.1) {
      const [client, server] = DHCP[family];
      return this.rnd() < 0.5 ? { protocol: 17, dport: server, sport: client } : { protocol: 17, dport: client, sport: server };
    }
    if (roll < 0.2) {
      // code 0 as hosts send them, now and then another (OVS parses no neighbour-discovery target then)
      const code = this.pick([0, 0, 0, 1]);
      return family === 'IPv6' ? { protocol: 58, dport: this.pick(NDP), sport: code } : { protocol: 1, dport: this.pick([0, 8, 3]), sport: code };
    }
    const rule = roll < 0.8 && rules.length ? this.pick(rules) : undefined;
    const numbered = rule && ruleProtocol(rule.protocol);
    const protocol = typeof numbered === 'number' ? numbered : this.pick(OTHER_PROTOCOLS[family]);
    if (isIcmp(protocol)) {
      const type = rule?.port_range_min ?? this.int(0, 255);
      const code = rule?.port_range_max ?? this.int(0, 3);
      return { protocol, dport: this.pick([type, type, type + 1]) & 255, sport: this.pick([code, code, this.int(0, 255)]) };
    }
    if (!hasPorts(protocol)) return { protocol, dport: null, sport: null };
    const min = rule?.port_range_min ?? null;
    const max = rule?.port_range_max ?? min;
    const dport = min === null ? this.int(1, 65535) : this.pick([min - 1, min, max!, max! + 1, this.int(min, max!)]);
    return { protocol, dport: Math.min(Math.max(dport, 1), 65535), sport: ephemeral() };
  }

  next(): PlannedFlow {
    const dst = this.pick(this.destinations);
    const { family, text: dstIp, vip } = this.pick(dst.ips);
    const sender = this.pick(dst.senders);
    const { ip: srcIp, kind } = this.sourceAddress(sender.port, family);
    const groupsRules = (p: SnapshotPort, direction: string) => p.security_groups.flatMap((g) => this.cloud.rulesOfGroup.get(g) ?? []).filter((r) => r.direction === direction && r.ethertype === family);
    const rules = [...groupsRules(dst.port, 'ingress'), ...(sender.local ? groupsRules(sender.port, 'egress') : [])];
    const { protocol, dport, sport } = this.service(family, rules);

    const l2 = sender.local
      ? `in_port=${sender.local.ofport},dl_src=${sender.port.mac_address},dl_dst=${dst.port.mac_address}`
      : `in_port=${TUNNEL_OFPORT},dl_vlan=${dst.vlan},dl_src=${sender.port.mac_address},dl_dst=${dst.port.mac_address}`;
    const l3 = family === 'IPv4' ? `ip,nw_src=${srcIp},nw_dst=${dstIp}` : `ipv6,ipv6_src=${srcIp},ipv6_dst=${dstIp}`;
    let l4 = `nw_proto=${protocol}`;
    const ports = L4_PORT_FIELDS[protocol];
    if (ports) l4 += `,${ports}_src=${sport},${ports}_dst=${dport}`;
    if (isIcmp(protocol)) {
      const icmp = protocol === 58 ? 'icmpv6' : 'icmp';
      l4 += `,${icmp}_type=${dport},${icmp}_code=${sport}`;
      // a neighbour solicitation asks for the destination, an advertisement announces the sender's own address (OVS parses a target of code 0 only)
      if (protocol === 58 && dport === 135 && sport === 0) l4 += `,nd_target=${dstIp}`;
      if (protocol === 58 && dport === 136 && sport === 0) l4 += `,nd_target=${srcIp}`;
    }
    const query: ReachQuery = { src: sender.port.id, dst: dstIp, protocol: String(protocol), sourceIp: srcIp };
    if (dport !== null) query.port = dport;
    if (sport !== null) query.sourcePort = sport;
    return { flow: `${l3},${l2},${l4}`, query, sender: sender.local ? 'local' : 'remote', source: kind, dstOfport: dst.ofport, vip };
  }
}

/** The EUI-64 link-local address of a MAC (fe80::f816:3eff:fe..), which Neutron lets every port send from. */
export function linkLocal(mac: string): string {
  const b = mac.split(':').map((x) => BigInt(parseInt(x, 16)));
  const id = [b[0] ^ 2n, b[1], b[2], 0xffn, 0xfen, b[3], b[4], b[5]].reduce((acc, x) => (acc << 8n) | x, 0n);
  return formatIp(6, (0xfe80n << 112n) | id);
}
