/**
 * The lines every port's chains carry before its rules (backends/iptables/
 * render.ts writes them: Texts.egressBefore/egressAfter, icmpv6Ingress): DHCP
 * and DAD let out before anti-spoofing, DHCP-server and router-advertisement
 * replies dropped, all other ICMPv6 let out, NDP and MLD let in.
 */
import { type Packet } from './packet.js';

export interface FixedVerdict {
  verdict: 'accept-before-spoof' | 'accept' | 'drop';
  why: string;
}

const udp = (p: Packet, sport: number, dport: number) => p.protocol === 'udp' && p.sport === sport && p.dport === dport;

/** What the egress chain's fixed lines do with a packet the spoof check let through (or before it); undefined: the rules decide. */
export function fixedEgress(p: Packet): FixedVerdict | undefined {
  if (p.family === 'IPv4') {
    if (p.src === 0n && p.dst === 0xffffffffn && udp(p, 68, 67)) return { verdict: 'accept-before-spoof', why: 'DHCP discovery from 0.0.0.0' };
    if (udp(p, 68, 67)) return { verdict: 'accept', why: 'DHCP client request' };
    if (udp(p, 67, 68)) return { verdict: 'drop', why: 'instances may not answer as DHCP servers' };
    return undefined;
  }
  if (p.src === 0n && p.protocol === 'ipv6-icmp' && (p.dst >> 112n) === 0xff02n && [131, 135, 143].includes(p.dport ?? -1)) {
    return { verdict: 'accept-before-spoof', why: 'MLD and duplicate address detection from ::' };
  }
  if (p.protocol === 'ipv6-icmp') {
    return p.dport === 134 ? { verdict: 'drop', why: 'instances may not send router advertisements' } : { verdict: 'accept', why: 'ICMPv6 is always let out' };
  }
  if (udp(p, 546, 547)) return { verdict: 'accept', why: 'DHCPv6 client request' };
  if (udp(p, 547, 546)) return { verdict: 'drop', why: 'instances may not answer as DHCPv6 servers' };
  return undefined;
}

/** NDP and MLD queries are let in before the ingress rules. */
export const fixedIngress = (p: Packet): boolean => p.family === 'IPv6' && p.protocol === 'ipv6-icmp' && [130, 135, 136].includes(p.dport ?? -1);
