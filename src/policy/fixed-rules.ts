/**
 * The lines Neutron's firewall drivers put around every filtered port's rules,
 * as IR rules (a backend names its list in policy/neutron-backends.ts): the
 * iptables driver's (_add_fixed_egress_rules, _accept_inbound_icmpv6), which
 * its renderer writes, and the openvswitch firewall's; the analyzer follows
 * the backend's list. The same objects for every port.
 */
import { type Family, type FixedOrigin, type FixedWhat, type PolicyRule } from './ir.js';

export type FixedRule = PolicyRule & {
  origin: FixedOrigin;
  /** accepted to the NORMAL action: a destination on the same node gets it without its ingress chain */
  switched?: boolean;
  /** a neighbour advertisement: let out when its target (the sender's address) is one the port may use, from any of its MACs */
  ownTarget?: boolean;
};

export interface FixedRules {
  /** the ingress chain's head: NDP and MLD let in */
  ingress: readonly FixedRule[];
  /** the egress chain's head, before the anti-spoofing jump: DHCP discovery and DAD from no address yet */
  beforeSpoof: readonly FixedRule[];
  /** after the jump, before the rules: DHCP and ICMPv6 let out, DHCP-server replies and router advertisements dropped */
  afterSpoof: readonly FixedRule[];
}

type Match = Partial<Pick<PolicyRule, 'protocol' | 'portMin' | 'portMax' | 'sourcePortMin' | 'sourcePortMax' | 'localPrefix'>> & { to?: string }
  & Pick<FixedRule, 'switched' | 'ownTarget'>;

function fixed(direction: PolicyRule['direction'], ethertype: Family, what: FixedWhat, verdict: 'accept' | 'drop', m: Match): FixedRule {
  return {
    protocol: m.protocol ?? null, portMin: m.portMin ?? null, portMax: m.portMax ?? null,
    sourcePortMin: m.sourcePortMin ?? null, sourcePortMax: m.sourcePortMax ?? null, localPrefix: m.localPrefix ?? null,
    direction, ethertype, remote: m.to ? { kind: 'prefix', cidr: m.to } : { kind: 'any' }, origin: { kind: 'fixed', what, verdict },
    ...(m.switched && { switched: true }), ...(m.ownTarget && { ownTarget: true }),
  };
}

const udp = (from: number, to: number): Match => ({ protocol: 'udp', sourcePortMin: from, sourcePortMax: from, portMin: to, portMax: to });
/** an ICMPv6 type, any code (or this one) */
const icmpv6 = (type: number, code?: number): Match => ({ protocol: 'ipv6-icmp', portMin: type, portMax: code });

export const FIXED_RULES: Record<Family, FixedRules> = {
  IPv4: {
    ingress: [],
    beforeSpoof: [fixed('egress', 'IPv4', 'dhcp-discovery', 'accept', { ...udp(68, 67), localPrefix: '0.0.0.0/32', to: '255.255.255.255/32' })],
    afterSpoof: [
      fixed('egress', 'IPv4', 'dhcp-request', 'accept', udp(68, 67)),
      fixed('egress', 'IPv4', 'dhcp-reply', 'drop', udp(67, 68)),
    ],
  },
  IPv6: {
    ingress: [130, 135, 136].map((t) => fixed('ingress', 'IPv6', 'ndp', 'accept', icmpv6(t))),
    // MLD reports and neighbour solicitations of duplicate address detection
    beforeSpoof: [131, 135, 143].map((t) => fixed('egress', 'IPv6', 'dad', 'accept', { ...icmpv6(t), localPrefix: '::/128', to: 'ff02::/16' })),
    afterSpoof: [
      fixed('egress', 'IPv6', 'router-advertisement', 'drop', icmpv6(134)),
      fixed('egress', 'IPv6', 'icmpv6', 'accept', { protocol: 'ipv6-icmp' }),
      fixed('egress', 'IPv6', 'dhcpv6-request', 'accept', udp(546, 547)),
      fixed('egress', 'IPv6', 'dhcpv6-reply', 'drop', udp(547, 546)),
    ],
  },
};

/**
 * The openvswitch firewall's lines (neutron/agent/linux/openvswitch_firewall/
 * firewall.py, Neutron 21: `_initialize_egress`, `_initialize_egress_ipv6_icmp`,
 * `_initialize_ingress`), by the priority their flows have. Egress (table 71):
 * MLD queries, router and neighbour solicitations from an allowed (MAC,
 * address) and neighbour advertisements of an allowed target go to NORMAL
 * (95); DHCP requests from an allowed address or 0.0.0.0 skip the egress rules
 * (80); DHCP-server replies and router advertisements are dropped (70); other
 * IP from an allowed address meets the rules (65) — ICMPv6 included. Ingress
 * (table 81): MLD queries, router and neighbour solicitations and
 * advertisements (100) and DHCP replies (95) are let in before the rules.
 * The renderer (backends/openvswitch/port-flows.ts) writes its fixed flows
 * from this list, in the order given here.
 */
export const OVS_FIXED_RULES: Record<Family, FixedRules> = {
  IPv4: {
    ingress: [fixed('ingress', 'IPv4', 'dhcp-offer', 'accept', udp(67, 68))],
    beforeSpoof: [fixed('egress', 'IPv4', 'dhcp-discovery', 'accept', { ...udp(68, 67), localPrefix: '0.0.0.0/32' })],
    afterSpoof: [
      fixed('egress', 'IPv4', 'dhcp-request', 'accept', udp(68, 67)),
      fixed('egress', 'IPv4', 'dhcp-reply', 'drop', udp(67, 68)),
    ],
  },
  IPv6: {
    ingress: [
      // firewall.py's ICMPV6_ALLOWED_INGRESS_TYPES, then router advertisements
      ...[130, 135, 136, 134].map((t) => fixed('ingress', 'IPv6', 'ndp', 'accept', icmpv6(t))),
      fixed('ingress', 'IPv6', 'dhcp-offer', 'accept', udp(547, 546)),
    ],
    beforeSpoof: [fixed('egress', 'IPv6', 'neighbour-advertisement', 'accept', { ...icmpv6(136), switched: true, ownTarget: true })],
    afterSpoof: [
      ...[130, 133, 135].map((t) => fixed('egress', 'IPv6', 'ndp-out', 'accept', { ...icmpv6(t), switched: true })),
      fixed('egress', 'IPv6', 'dhcpv6-request', 'accept', udp(546, 547)),
      fixed('egress', 'IPv6', 'router-advertisement', 'drop', icmpv6(134)),
      fixed('egress', 'IPv6', 'dhcpv6-reply', 'drop', udp(547, 546)),
    ],
  },
};

/**
 * OVN's: northd's `nd || nd_ra || nd_rs || mldv1 || mldv2` both ways, before the ACLs and after
 * port security (ovn-northd.8, ls_in_acl and ls_out_acl, priority 65532); DHCP takes an ACL.
 * `nd*` also ask for a hop limit of 255, which the analyzer's packets do not carry: it assumes it.
 */
function ovnAllowances(direction: PolicyRule['direction']): FixedRule[] {
  const own = (cidr: string, inbound: boolean): Match => (inbound === (direction === 'ingress') ? { localPrefix: cidr } : { to: cidr });
  return [
    ...[133, 134, 135, 136].map((t) => fixed(direction, 'IPv6', 'neighbour-discovery', 'accept', icmpv6(t, 0))),
    // mldv1: from a link-local source; mldv2: reports to ff02::16
    ...[130, 131, 132].map((t) => fixed(direction, 'IPv6', 'mld', 'accept', { ...icmpv6(t), ...own('fe80::/10', false) })),
    fixed(direction, 'IPv6', 'mld', 'accept', { ...icmpv6(143), ...own('ff02::16/128', true) }),
  ];
}

export const OVN_FIXED_RULES: Record<Family, FixedRules> = {
  IPv4: { ingress: [], beforeSpoof: [], afterSpoof: [] },
  IPv6: { ingress: ovnAllowances('ingress'), beforeSpoof: [], afterSpoof: ovnAllowances('egress') },
};
