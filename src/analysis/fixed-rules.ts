/**
 * The driver's fixed lines (policy/fixed-rules.ts, the IR rules render.ts
 * writes) as can-reach tells them: DHCP and DAD let out before anti-spoofing,
 * DHCP-server and router-advertisement replies dropped, all other ICMPv6 let
 * out, NDP and MLD let in.
 */
import { type FixedWhat } from '../policy/ir.js';
import { fixedLine, type Packet, type PacketSemantics } from './packet.js';

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
  ndp: 'NDP and MLD queries are let in',
  'neighbour-discovery': 'neighbour discovery, router solicitations and advertisements pass both ways',
  mld: 'MLD passes both ways',
};

/** What the egress chain's fixed lines do with a packet the spoof check let through (or before it); undefined: the rules decide. */
export function fixedEgress(p: Packet, semantics?: PacketSemantics): FixedVerdict | undefined {
  const line = fixedLine('egress', p, semantics);
  return line && { verdict: line.beforeSpoof && line.verdict === 'accept' ? 'accept-before-spoof' : line.verdict, why: WHY[line.what] };
}

/** What the ingress chain's fixed lines let in before the rules (NDP and MLD queries; OVN: ND and MLD), if anything. */
export function fixedIngress(p: Packet, semantics?: PacketSemantics): FixedVerdict | undefined {
  const line = fixedLine('ingress', p, semantics);
  return line?.verdict === 'accept' ? { verdict: 'accept', why: WHY[line.what] } : undefined;
}
