/**
 * One IR rule as iptables arguments, in the order iptables-save prints them
 * (Neutron's _generate_plain_rule_args / _generate_ipset_rule_args).
 */
import { cidrText, formatNetwork, parseCidr } from '../../model/addresses.js';
import { type PolicyRule } from '../../policy/ir.js';
import PROTOCOL_NAMES from './protocol-names.json' with { type: 'json' };

const NAMES = PROTOCOL_NAMES as Record<string, string>;
/** neutron-lib IPTABLES_PROTOCOL_MAP: protocols whose match module iptables loads with -m */
const MATCH_MODULE: Record<string, string> = { dccp: 'dccp', icmp: 'icmp', 'ipv6-icmp': 'icmp6', sctp: 'sctp', tcp: 'tcp', udp: 'udp' };
const PORT_PROTOCOLS = new Set(['dccp', 'sctp', 'tcp', 'udp', 'udplite']);
const MULTIPORT_ONLY = new Set(['udplite']);

/** _iptables_protocol_name: numbers and aliases become /etc/protocols names; 0 means any */
export function iptablesProtocol(protocol: string | null): string | undefined {
  if (!protocol || protocol === '0') return undefined;
  return NAMES[protocol] ?? protocol;
}

function portArgs(dir: 'sport' | 'dport', protocol: string | undefined, min: number | null, max: number | null): string[] {
  if (min === null) return [];
  if (protocol === 'icmp' || protocol === 'ipv6-icmp') {
    return [`--${protocol === 'icmp' ? 'icmp' : 'icmpv6'}-type`, max === null ? `${min}` : `${min}/${max}`];
  }
  if (!protocol || !PORT_PROTOCOLS.has(protocol)) return [];
  if (min === max) return MULTIPORT_ONLY.has(protocol) ? ['-m', 'multiport', `--${dir}s`, `${min}`] : [`--${dir}`, `${min}`];
  return ['-m', 'multiport', `--${dir}s`, `${min}:${max}`];
}

export function protocolAndPortArgs(r: PolicyRule): string[] {
  const protocol = iptablesProtocol(r.protocol);
  const isPort = r.sourcePortMin !== null || r.portMin !== null;
  const args = protocol ? ['-p', protocol] : [];
  if (protocol && isPort && MATCH_MODULE[protocol]) args.push('-m', MATCH_MODULE[protocol]);
  return [...args, ...portArgs('sport', protocol, r.sourcePortMin, r.sourcePortMax), ...portArgs('dport', protocol, r.portMin, r.portMax)];
}

/** _ip_prefix_arg: a bare address gets its mask; a /0 is no constraint and is left out */
function prefixArgs(flag: '-s' | '-d', prefix: string | null): string[] {
  if (!prefix) return [];
  if (!prefix.includes('/')) return [flag, cidrText(prefix)];
  if (prefix.endsWith('/0')) return [];
  return [flag, prefix];
}

/** A rule whose peer is a literal prefix (or anyone): -s/-d, protocol, ports, RETURN. */
export function plainRule(r: PolicyRule, peer: string | null): string {
  const source = r.direction === 'ingress' ? peer : null;
  const dest = r.direction === 'egress' ? peer : r.localPrefix;
  return [...prefixArgs('-s', source), ...prefixArgs('-d', dest), ...protocolAndPortArgs(r), '-j', 'RETURN'].join(' ');
}

/** A remote-group rule matched against the group's ipset. */
export function ipsetRule(r: PolicyRule, setName: string): string {
  return [...protocolAndPortArgs(r), '-m', 'set', '--match-set', setName, r.direction === 'ingress' ? 'src' : 'dst', '-j', 'RETURN'].join(' ');
}

/** _expand_sg_rule_with_remote_ips: a member becomes its network (host bits cleared) */
export const expandedPeer = (memberIp: string): string => formatNetwork(parseCidr(memberIp, true)!);
