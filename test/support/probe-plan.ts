/**
 * Random probe packets over a built cloud: random source and destination
 * instances, protocols, ports and source addresses (the port's own, one of its
 * pairs, another instance's, spoofed in and out of the subnet, external), each
 * with the can-reach query that must predict its delivery.
 *
 * Every probe is a new flow for conntrack, so no probe's fate depends on
 * another: TCP is a lone SYN, ICMP only the request types conntrack lets start
 * a flow (an unsolicited echo reply or error is INVALID and not a new flow),
 * TCP/UDP source ports and ICMP ids are never reused, and no probe ever runs
 * in the reverse direction of an earlier one (which conntrack would take for
 * the reply of an established flow).
 */
import { type ReachQuery } from '../../src/analysis/answers.js';
import { type ProbePacket } from './packet-prober.js';
import { type Dice, type RulePlan } from './random-cloud.js';

/** An instance's one NIC as the API created it. */
export interface Endpoint {
  instance: string;
  ns: string;
  port: string;
  mac: string;
  ip: string;
  network: string;
  cidr: string;
  pairs: string[];
}

export type SourceKind = 'own' | 'pair' | 'peer' | 'subnet' | 'external';

export interface Probe {
  packet: Omit<ProbePacket, 'at'>;
  from: Endpoint;
  to: Endpoint;
  source: SourceKind;
  control: boolean;
  query: ReachQuery;
}

const TCP = 6;
const UDP = 17;
const ICMP = 1;
const OTHER_PROTOCOLS = [112, 47, 50, 51, 89, 253];
/** the ICMP types conntrack accepts as the first packet of a flow: echo, timestamp, information and address-mask requests */
const NEW_FLOW_ICMP = [8, 8, 8, 13, 15, 17];
const DHCP = [[68, 67], [67, 68]];

/** The packet's layer 4 and the same as can-reach's query takes it (ICMP: type as port, code as source port). */
type Service = Pick<ProbePacket, 'proto' | 'sport' | 'dport' | 'icmpType' | 'icmpCode' | 'icmpId'> & { protocol: string; port?: number; sourcePort?: number };

/** TCP and UDP ports worth probing: the services and every rule's range edges (and their neighbours), DHCP's. */
export function hotPorts(services: number[], rules: RulePlan[]): number[] {
  const ports = new Set([...services, 67, 68]);
  for (const r of rules) {
    if ((r.protocol !== 'tcp' && r.protocol !== 'udp') || r.min === undefined) continue;
    for (const p of [r.min - 1, r.min, r.max!, r.max! + 1]) if (p >= 1 && p <= 65535) ports.add(p);
  }
  return [...ports];
}

/** The conntrack tuples used so far (with ports, or without for protocols conntrack tracks by address only). */
class Flows {
  private readonly used = new Set<string>();

  private static key(p: Omit<ProbePacket, 'at'>, reverse: boolean): string {
    const [a, b] = reverse ? [p.dst, p.src] : [p.src, p.dst];
    const [x, y] = reverse ? [p.dport, p.sport] : [p.sport, p.dport];
    if (p.proto === TCP || p.proto === UDP) return `${p.proto} ${a} ${b} ${x} ${y}`;
    if (p.proto === ICMP) return `${p.proto} ${a} ${b} ${p.icmpId}`;
    return `${p.proto} ${a} ${b}`;
  }

  /** Takes the packet's tuple unless it reverses an earlier one (or repeats one that has ports). */
  take(p: Omit<ProbePacket, 'at'>): boolean {
    const own = Flows.key(p, false);
    const generic = p.proto !== TCP && p.proto !== UDP && p.proto !== ICMP;
    if (this.used.has(Flows.key(p, true)) || (!generic && this.used.has(own))) return false;
    this.used.add(own);
    return true;
  }
}

export class ProbePlanner {
  private readonly flows = new Flows();
  private nextPort = 10000;
  private nextIcmpId = 1;

  constructor(private readonly dice: Dice, private readonly endpoints: Endpoint[], private readonly hot: number[], private nextId: number) {}

  private ephemeral(): number {
    const p = this.nextPort;
    this.nextPort = p >= 65535 ? 1024 : p + 1;
    return p;
  }

  private sourceAddress(from: Endpoint): { src: string; source: SourceKind } {
    const d = this.dice;
    const kind = d.weighted({ own: 40, pair: from.pairs.length ? 20 : 0, peer: 10, subnet: 10, external: 20 });
    switch (kind) {
      case 'own': return { src: from.ip, source: kind };
      case 'pair': return { src: d.addressIn(d.pick(from.pairs)), source: kind };
      case 'peer': {
        const others = this.endpoints.filter((e) => e !== from).flatMap((e) => [e.ip, ...e.pairs.filter((p) => !p.includes('/'))]);
        return { src: d.pick(others), source: kind };
      }
      case 'subnet': return { src: d.addressIn(from.cidr), source: kind };
      default: return { src: d.chance(0.5) ? d.addressIn('200.200.200.0/24') : d.chance(0.5) ? d.addressIn('10.0.0.0/8') : d.publicAddress(), source: kind };
    }
  }

  private service(): Service {
    const d = this.dice;
    const kind = d.weighted({ tcp: 35, udp: 30, icmp: 20, other: 15 });
    if (kind === 'icmp') {
      const icmpType = d.pick(NEW_FLOW_ICMP);
      const icmpCode = d.chance(0.7) ? 0 : d.int(0, 3);
      return { proto: ICMP, icmpType, icmpCode, icmpId: this.nextIcmpId++ & 0xffff, protocol: 'icmp', port: icmpType, sourcePort: icmpCode };
    }
    if (kind === 'other') {
      const proto = d.pick(OTHER_PROTOCOLS);
      return { proto, protocol: String(proto) };
    }
    const [sport, dport] = kind === 'udp' && d.chance(0.06) ? d.pick(DHCP) : [this.ephemeral(), d.chance(0.55) ? d.pick(this.hot) : d.int(1, 65535)];
    return { proto: kind === 'tcp' ? TCP : UDP, sport, dport, protocol: kind, port: dport, sourcePort: sport };
  }

  private build(from: Endpoint, to: Endpoint, control: boolean): Probe | undefined {
    const { src, source } = control ? { src: from.ip, source: 'own' as const } : this.sourceAddress(from);
    const sport = control ? this.ephemeral() : 0;
    const { protocol, port, sourcePort, ...l4 } = control ? { proto: UDP, sport, dport: 9, protocol: 'udp', port: 9, sourcePort: sport } : this.service();
    const packet = { id: this.nextId, dmac: to.mac, src, dst: to.ip, ...l4 };
    if (!this.flows.take(packet)) return undefined;
    this.nextId++;
    return { packet, from, to, source, control, query: { src: from.port, dst: to.port, protocol, port, sourcePort, sourceIp: src } };
  }

  /** A random probe between two instances, mostly on one network (across networks nothing routes). */
  random(): Probe {
    for (;;) {
      const from = this.dice.pick(this.endpoints);
      const local = this.endpoints.filter((e) => e !== from && e.network === from.network);
      const to = local.length && this.dice.chance(0.85) ? this.dice.pick(local) : this.dice.pick(this.endpoints.filter((e) => e !== from));
      const probe = this.build(from, to, false);
      if (probe) return probe;
    }
  }

  /** A UDP datagram between the two unfiltered control instances. */
  control(from: Endpoint, to: Endpoint): Probe {
    for (;;) {
      const probe = this.build(from, to, true);
      if (probe) return probe;
    }
  }
}
