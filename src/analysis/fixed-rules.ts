/**
 * The backend's fixed lines (policy/fixed-rules.ts: the iptables driver's,
 * which render.ts writes, or the openvswitch firewall's) as can-reach tells
 * them: DHCP (and DAD) let out before anti-spoofing, DHCP-server replies and
 * router advertisements dropped, ICMPv6 let out, NDP, MLD (and DHCP replies)
 * let in.
 */
import { type FixedRules } from '../policy/fixed-rules.js';
import { type Family, type FixedWhat, type PortPolicy } from '../policy/ir.js';
import { fixedLine, type Packet } from './packet.js';

export interface FixedVerdict {
  verdict: 'accept-before-spoof' | 'accept' | 'drop';
  why: string;
}

const WHY: Record<FixedWhat, string> = {
  'dhcp-discovery': 'DHCP discovery from 0.0.0.0',
  dad: 'MLD and duplicate address detection from ::',
  'dhcp-request': 'DHCP client request',
  'dhcp-reply': 'instances may not answer as DHCP servers',
  'router-advertisement': 'instances may not send router advertisements',
  icmpv6: 'ICMPv6 is always let out',
  'dhcpv6-request': 'DHCPv6 client request',
  'dhcpv6-reply': 'instances may not answer as DHCPv6 servers',
  ndp: 'NDP and MLD are let in',
  'dhcp-offer': 'DHCP replies are let in',
  'ndp-out': 'MLD queries, router and neighbour solicitations from the port\'s own addresses are switched without rules',
  'neighbour-advertisement': 'neighbour advertisements of the port\'s own addresses are switched without rules',
};

/**
 * What the egress chain's fixed lines do with a packet the spoof check let through (or before it); undefined:
 * the rules decide. `switched`: a destination on the same node gets it without its ingress chain.
 */
export function fixedEgress(p: Packet, rules?: Record<Family, FixedRules>, pp?: PortPolicy): (FixedVerdict & { switched?: true }) | undefined {
  const line = fixedLine('egress', p, rules, pp);
  return line && { verdict: line.beforeSpoof && line.verdict === 'accept' ? 'accept-before-spoof' : line.verdict, why: WHY[line.what], ...(line.switched && { switched: true }) };
}

/** Why the ingress chain lets the packet in before its rules (NDP, MLD, DHCP replies), if it does. */
export function fixedIngress(p: Packet, rules?: Record<Family, FixedRules>): string | undefined {
  const line = fixedLine('ingress', p, rules);
  return line?.verdict === 'accept' ? WHY[line.what] : undefined;
}
