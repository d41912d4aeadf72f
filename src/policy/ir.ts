/**
 * The IR: each local port's effective policy on one compute node. The data
 * plane renders it (backends/) and the analyzer reasons over it (analysis/),
 * so both see the same allow-lists, rules and remote-group members — and the
 * same fixed lines every filtered port's chains carry (fixed-rules.ts).
 */
import { type Direction, type Ethertype } from '../model/security-group-rule.js';
import { type CompileOptions, type TopologyPort } from './topology.js';

export type Family = Ethertype;
export const FAMILIES: Family[] = ['IPv4', 'IPv6'];

/** One address a remote group stands for, and where it comes from. */
export interface Member {
  /** as Neutron hands it over: a host IP or a CIDR, text as stored */
  ip: string;
  /** null for a fixed IP on Neutron's server path; the pair's MAC for a pair */
  mac: string | null;
  portId: string;
  via: 'fixed_ip' | 'address_pair';
  /** set when the backend matches this member only in traffic from this source MAC (the openvswitch firewall's dl_src on a /0 pair) */
  srcMac?: string;
}

export type Remote =
  | { kind: 'any' }
  | { kind: 'prefix'; cidr: string }
  | { kind: 'group'; groupId: string };

/** What one of the driver's fixed lines is for. */
export type FixedWhat = 'dhcp-discovery' | 'dad' | 'dhcp-request' | 'dhcp-reply' | 'router-advertisement' | 'icmpv6'
  | 'dhcpv6-request' | 'dhcpv6-reply' | 'ndp'
  // the openvswitch firewall's own: DHCP replies let in, MLD queries, router and neighbour solicitations and advertisements let out
  | 'dhcp-offer' | 'ndp-out' | 'neighbour-advertisement';

/** The driver's own lines around a port's rules: the only rules that can drop. */
export interface FixedOrigin { kind: 'fixed'; what: FixedWhat; verdict: 'accept' | 'drop' }

export type RuleOrigin =
  | { kind: 'provider'; what: 'dhcp' | 'dhcpv6' | 'router_advertisement' }
  | { kind: 'group'; groupId: string; ruleId: string }
  | FixedOrigin;

export interface PolicyRule {
  direction: Direction;
  ethertype: Family;
  protocol: string | null;
  portMin: number | null;
  portMax: number | null;
  /** provider rules match the source port (DHCP) or ICMPv6 type (RA) */
  sourcePortMin: number | null;
  sourcePortMax: number | null;
  /** the peer: source for ingress, destination for egress */
  remote: Remote;
  /** the port's own side: provider rules pin its address (DHCP replies to its fixed IP), fixed lines an unspecified source */
  localPrefix: string | null;
  origin: RuleOrigin;
}

/** One anti-spoofing permit: traffic from `mac` with a source inside `cidr` (any source when null). */
export interface SpoofEntry {
  mac: string;
  cidr: string | null;
  via: 'fixed_ip' | 'address_pair' | 'link_local' | 'mac_only';
}

export type PortKind = 'filtered' | 'unfiltered' | 'trusted';

export interface PortPolicy {
  port: TopologyPort;
  kind: PortKind;
  spoof: Record<Family, SpoofEntry[]>;
  /** Neutron's provider rules, then `groupRules` */
  rules: PolicyRule[];
  /** its groups' rules in group order: one list shared by every port with the same groups */
  groupRules: readonly PolicyRule[];
}

export interface HostPolicy {
  options: CompileOptions;
  /** local ports, in the order the data plane processes them */
  ports: PortPolicy[];
  /** members of every remote group a local rule names, per family the rules use */
  remoteGroups: Map<string, Partial<Record<Family, Member[]>>>;
}
