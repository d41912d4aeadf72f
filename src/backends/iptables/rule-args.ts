/**
 * One IR rule as iptables arguments, in the order iptables-save prints them
 * (Neutron's _generate_plain_rule_args / _generate_ipset_rule_args).
 */
import { cidrText, formatNetwork, parseCidr } from '../../model/addresses.js';
import { keywordNumber, PROTOCOL_KEYWORDS, protocolNumber } from '../../model/protocols.js';
import { type PolicyRule } from '../../policy/ir.js';

/** neutron-lib IPTABLES_PROTOCOL_NAME_MAP's names: the API names iptables spells otherwise (its numbers are /etc/protocols') */
const ALIASES: Record<string, string> = { icmpv6: 'ipv6-icmp', 'ipv6-encap': 'ipv6', pgm: '113' };
/** neutron-lib IPTABLES_PROTOCOL_MAP: protocols whose match module iptables loads with -m */
const MATCH_MODULE: Record<string, string> = { dccp: 'dccp', icmp: 'icmp', 'ipv6-icmp': 'icmp6', sctp: 'sctp', tcp: 'tcp', udp: 'udp' };
const PORT_PROTOCOLS = new Set(['dccp', 'sctp', 'tcp', 'udp', 'udplite']);
const MULTIPORT_ONLY = new Set(['udplite']);

/** _iptables_protocol_name: numbers and aliases become /etc/protocols names; 0 means any */
export function iptablesProtocol(protocol: string | null): string | undefined {
  if (!protocol || protocol === '0') return undefined;
  return ALIASES[protocol] ?? PROTOCOL_KEYWORDS[protocol] ?? protocol;
}

const matched = new Map<string | null, number | null>();

/**
 * The protocol number a rule's protocol matches once rendered, or null for every protocol:
 * iptables resolves the name it is given through /etc/protocols (so the API's "ipip", 4,
 * matches 94, /etc/protocols' ipip), and a protocol resolving to 0 matches everything.
 */
export function matchedProtocol(protocol: string | null): number | null {
  let n = matched.get(protocol);
  if (n === undefined) {
    const name = iptablesProtocol(protocol);
    // "ip" is the one API name /etc/protocols has only as an alias (of 0)
    const number = name === undefined ? 0 : /^[0-9]+$/.test(name) ? Number(name) : keywordNumber(name) ?? Number(protocolNumber(name));
    matched.set(protocol, (n = number || null));
  }
  return n;
}

function portArgs(args: string[], dir: 'sport' | 'dport', protocol: string | undefined, min: number | null, max: number | null): void {
  if (min === null) return;
  if (protocol === 'icmp' || protocol === 'ipv6-icmp') {
    args.push(protocol === 'icmp' ? '--icmp-type' : '--icmpv6-type', max === null ? `${min}` : `${min}/${max}`);
  } else if (protocol && PORT_PROTOCOLS.has(protocol)) {
    if (min !== max) args.push('-m', 'multiport', `--${dir}s`, `${min}:${max}`);
    else if (MULTIPORT_ONLY.has(protocol)) args.push('-m', 'multiport', `--${dir}s`, `${min}`);
    else args.push(`--${dir}`, `${min}`);
  }
}

/** Appends the protocol and port matches of a rule to `args` (and returns it). */
export function protocolAndPortArgs(r: PolicyRule, args: string[] = []): string[] {
  const protocol = iptablesProtocol(r.protocol);
  if (protocol) {
    args.push('-p', protocol);
    if ((r.sourcePortMin !== null || r.portMin !== null) && MATCH_MODULE[protocol]) args.push('-m', MATCH_MODULE[protocol]);
  }
  portArgs(args, 'sport', protocol, r.sourcePortMin, r.sourcePortMax);
  portArgs(args, 'dport', protocol, r.portMin, r.portMax);
  return args;
}

/** _ip_prefix_arg: a bare address gets its mask; a /0 is no constraint and is left out */
function prefixArgs(args: string[], flag: '-s' | '-d', prefix: string | null): void {
  if (!prefix || prefix.endsWith('/0')) return;
  args.push(flag, prefix.includes('/') ? prefix : cidrText(prefix));
}

/** A rule whose peer is a literal prefix (or anyone): -s/-d (the peer and the port's own side), protocol, ports, the target (a fixed line may DROP). */
export function plainRule(r: PolicyRule, peer: string | null, target: 'RETURN' | 'DROP' = 'RETURN'): string {
  const args: string[] = [];
  const ingress = r.direction === 'ingress';
  prefixArgs(args, '-s', ingress ? peer : r.localPrefix);
  prefixArgs(args, '-d', ingress ? r.localPrefix : peer);
  protocolAndPortArgs(r, args).push('-j', target);
  return args.join(' ');
}

/** A remote-group rule matched against the group's ipset. */
export function ipsetRule(r: PolicyRule, setName: string): string {
  return protocolAndPortArgs(r).concat('-m', 'set', '--match-set', setName, r.direction === 'ingress' ? 'src' : 'dst', '-j', 'RETURN').join(' ');
}

/** _expand_sg_rule_with_remote_ips: a member becomes its network (host bits cleared) */
export const expandedPeer = (memberIp: string): string => formatNetwork(parseCidr(memberIp, true)!);
