import KEYWORDS from './protocol-keywords.json' with { type: 'json' };

/** IP protocol names and numbers as neutron-lib's IP_PROTOCOL_MAP has them, in its order. */
export const IP_PROTOCOL_MAP: ReadonlyArray<readonly [string, number]> = [
  ['ah', 51], ['dccp', 33], ['egp', 8], ['esp', 50], ['gre', 47], ['hopopt', 0], ['icmp', 1],
  ['igmp', 2], ['ip', 0], ['ipip', 4], ['ipv6-encap', 41], ['ipv6-frag', 44], ['ipv6-icmp', 58],
  ['icmpv6', 58], ['ipv6-nonxt', 59], ['ipv6-opts', 60], ['ipv6-route', 43], ['ospf', 89],
  ['pgm', 113], ['rsvp', 46], ['sctp', 132], ['tcp', 6], ['udp', 17], ['udplite', 136], ['vrrp', 112],
];

export const PROTOCOL_NAMES = IP_PROTOCOL_MAP.map(([n]) => n);
const BY_NAME = new Map(IP_PROTOCOL_MAP);

/** Protocols whose rules may carry a port range (SG_PORT_PROTO_NAMES / _NUMS). */
export const PORT_PROTOCOLS = new Set(['6', '17', '33', '132', '136']);
export const ICMP_PROTOCOLS = new Set(['1', '58']);
/** Protocols that only exist for IPv6 (by number). */
export const IPV6_ONLY_PROTOCOLS = new Set(['41', '43', '44', '58', '59', '60']);

/** The protocol's number as a string, or undefined for "any". */
export function protocolNumber(protocol: string | null): string | undefined {
  if (protocol === null) return undefined;
  const n = BY_NAME.get(protocol);
  return n === undefined ? protocol : String(n);
}

/**
 * The names /etc/protocols (Debian's netbase) gives protocol numbers: how iptables and
 * conntrack spell a number, and the names a query may use besides the API's. neutron-lib
 * copies them into IPTABLES_PROTOCOL_NAME_MAP (backends/iptables adds its aliases).
 */
export const PROTOCOL_KEYWORDS: Readonly<Record<string, string>> = KEYWORDS;
const BY_KEYWORD = new Map(Object.entries(KEYWORDS).map(([n, k]) => [k, Number(n)]));

/** The number /etc/protocols gives a name (its keyword), if it has one. */
export const keywordNumber = (name: string): number | undefined => BY_KEYWORD.get(name);

/** A protocol number's name as iptables and conntrack print it, or the number. */
export const protocolKeyword = (n: number): string => PROTOCOL_KEYWORDS[n] ?? String(n);
