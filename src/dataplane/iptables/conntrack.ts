/**
 * Revoked access must not live on in conntrack. A port's chains let established
 * traffic through before they look at the rules, so a connection opened through a
 * rule, a remote-group member or a port that is gone would go on. Neutron's iptables
 * driver deletes entries per deleted rule, per removed member address (the host
 * part only: a removed 0.0.0.0/1 cuts source 0.0.0.0) and per deleted port. Here
 * every tracked connection of the node's zones is judged again against the policy
 * in force after the change, by the evaluator can-reach uses (analysis/packet.ts):
 * exactly the connections the change revoked are cut, whatever the member's width.
 */
import { inPrefix, portAdmits, type Packet, prefixLength } from '../../analysis/packet.js';
import { formatIp, parseIp } from '../../model/addresses.js';
import { type Family, type Member, type PortPolicy } from '../../policy/ir.js';
import { CommandError, run } from '../exec.js';

export interface Connection {
  family: Family;
  /** the protocol number as conntrack prints it */
  protocol: number;
  src: bigint;
  dst: bigint;
  sport: number | null;
  dport: number | null;
  /** ICMP type, code and id */
  icmp: { type: number; code: number; id: number } | null;
  zone: number;
}

const FIELD = /(\w+)=(\S+)/g;

/** `conntrack -L` lines: "tcp 6 431999 ESTABLISHED src=… dst=… sport=… dport=… src=… (reply) … zone=3 use=1". */
export function parseConnections(text: string, family: Family): Connection[] {
  const out: Connection[] = [];
  for (const line of text.split('\n')) {
    const head = /^\s*\S+\s+(\d+)\s/.exec(line);
    if (!head) continue;
    const first: Record<string, string> = {};
    let zone = 0;
    for (const [, k, v] of line.matchAll(FIELD)) {
      if (k === 'zone') zone = Number(v);
      else if (!(k in first)) first[k] = v;
    }
    const src = parseIp(first.src);
    const dst = parseIp(first.dst);
    if (!src || !dst) continue;
    const num = (k: string) => (first[k] === undefined ? null : Number(first[k]));
    out.push({
      family, protocol: Number(head[1]), src: src.value, dst: dst.value, sport: num('sport'), dport: num('dport'),
      icmp: first.type === undefined ? null : { type: Number(first.type), code: Number(first.code), id: Number(first.id) },
      zone,
    });
  }
  return out;
}

const CT_FAMILY: Record<Family, string> = { IPv4: 'ipv4', IPv6: 'ipv6' };

/** Every connection the namespace tracks, both families. */
export function listConnections(ns: string): Connection[] {
  return (['IPv4', 'IPv6'] as const).flatMap((f) => parseConnections(run(['conntrack', '-L', '-f', CT_FAMILY[f]], { ns }), f));
}

const fmt = (c: Connection, v: bigint) => formatIp(c.family === 'IPv4' ? 4 : 6, v);

/** Deletes one connection by its original tuple and zone (gone already is fine: it may have ended meanwhile). */
export function deleteConnection(ns: string, c: Connection): void {
  const argv = ['conntrack', '-D', '-f', CT_FAMILY[c.family], '-w', String(c.zone), '-p', String(c.protocol), '--orig-src', fmt(c, c.src), '--orig-dst', fmt(c, c.dst)];
  if (c.sport !== null && c.dport !== null) argv.push('--orig-port-src', String(c.sport), '--orig-port-dst', String(c.dport));
  if (c.icmp) argv.push('--icmp-type', String(c.icmp.type), '--icmp-code', String(c.icmp.code), '--icmp-id', String(c.icmp.id));
  try {
    run(argv, { ns });
  } catch (e) {
    if (!(e instanceof CommandError)) throw e;
  }
}

/** The first packet of a connection, as the port chains saw it. */
function packetOf(c: Connection): Packet {
  const { protocol } = c;
  return c.icmp
    ? { family: c.family, src: c.src, dst: c.dst, protocol, dport: c.icmp.type, sport: c.icmp.code }
    : { family: c.family, src: c.src, dst: c.dst, protocol, dport: c.dport, sport: c.sport };
}

/** How closely the port holds `value`: the longest of its fixed IPs and pairs that covers it, or -1. */
function closeness(pp: PortPolicy, family: Family, value: bigint): number {
  let best = -1;
  for (const ip of [...pp.port.fixed_ips, ...pp.port.allowed_address_pairs.map((a) => a.ip_address)]) {
    if (inPrefix(ip, family, value)) best = Math.max(best, prefixLength(ip));
  }
  return best;
}

/**
 * The ports of a zone a connection's address belongs to: those that hold it most
 * closely (a fixed IP before a NAT server's 0.0.0.0/0 pair; both holders of a shared VIP).
 */
function holders(ports: readonly PortPolicy[], zoneOf: NodePolicy['zoneOf'], zone: number, family: Family, value: bigint): PortPolicy[] {
  let best = -1;
  let out: PortPolicy[] = [];
  for (const pp of ports) {
    if (zoneOf(pp) !== zone) continue;
    const c = closeness(pp, family, value);
    if (c < 0 || c < best) continue;
    if (c > best) out = [];
    best = c;
    out.push(pp);
  }
  return out;
}

export interface NodePolicy {
  /** the node's local ports' policies */
  ports: readonly PortPolicy[];
  members: (groupId: string, family: Family) => Member[];
  enableIpset: boolean;
  /** a port policy's conntrack zone (the backend's: before the change and after), null for a port not filtered */
  zoneOf: (pp: PortPolicy) => number | null;
}

/**
 * The connections a change revoked: on a side (source: egress, destination: ingress),
 * the ports that held its address most closely before the change hold it no more, or
 * none of those holding it now admits the connection's first packet. Addresses no
 * local port holds are not the node's to judge.
 */
export function revokedConnections(connections: readonly Connection[], before: readonly PortPolicy[], after: NodePolicy): Connection[] {
  return connections.filter((c) => {
    const pkt = packetOf(c);
    const side = (direction: 'ingress' | 'egress', address: bigint) => {
      const now = holders(after.ports, after.zoneOf, c.zone, c.family, address);
      const was = holders(before, after.zoneOf, c.zone, c.family, address);
      // the port it went to is gone, or no longer holds the address (another one's wide pair does not take it over)
      if (was.length && !was.some((b) => now.some((n) => n.port.id === b.port.id))) return false;
      return !now.length || now.some((pp) => portAdmits(pp, direction, pkt, after.members, after.enableIpset));
    };
    return !side('egress', c.src) || !side('ingress', c.dst);
  });
}
