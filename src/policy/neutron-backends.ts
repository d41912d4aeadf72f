/**
 * The firewalls a Neutron cloud can run, and how each one's port security
 * differs where the analyzer's verdicts depend on it. One declared list: the
 * membership index, can-reach and the audit read a backend's semantics here,
 * never from its name.
 *
 * Sources (openstack/neutron Zed 21.0.0 and master, ovn-org/ovn):
 * - iptables: the server hands the agent every member's fixed IPs and every pair's
 *   ip_address, MAC ignored (securitygroups_rpc.py `_select_ips_for_remote_group`).
 * - openvswitch: the same members, but a member of prefix length 0 also matches
 *   `dl_src=<pair MAC>` (openvswitch_firewall/rules.py, bug 1867119, since Ussuri);
 *   `0.0.0.0/1` + `128.0.0.0/1`, /8 … stay open to any source. Its fixed lines, anti-spoofing and port
 *   matches are its own (openvswitch_firewall/firewall.py, rules.py), checked by test/ovs-trace.test.ts
 *   against real Open vSwitch.
 * - ovn: a port group's address set is built from the LSP's `addresses` (fixed IPs);
 *   Neutron writes pairs only into `port_security`, so pairs never join a remote group.
 */
import { PORT_PROTOCOLS } from '../model/protocols.js';
import { FIXED_RULES, type FixedRules, OVS_FIXED_RULES } from './fixed-rules.js';
import { type Family } from './ir.js';
import { type Driver, type SgInfoSource } from './topology.js';

export const NEUTRON_BACKENDS = ['iptables', 'iptables_hybrid', 'openvswitch', 'ovn'] as const;
export type NeutronBackend = (typeof NEUTRON_BACKENDS)[number];
export const DEFAULT_NEUTRON_BACKEND: NeutronBackend = 'iptables';

export interface BackendSemantics {
  /** how people name it */
  label: string;
  /** the Neutron iptables driver it is, if it is one (what `portsec compile` renders) */
  iptablesDriver: Driver | null;
  /** where its agent learns members and rules: the server's RPC (linuxbridge) or the OVS agent's cache */
  sgInfoSource: SgInfoSource;
  /** whether a member port's allowed-address pairs join its remote groups */
  pairsAreMembers: boolean;
  /** pairs of exactly this prefix length (any family) match only traffic from the pair's MAC; null: none are pinned */
  macPinnedPrefixlen: number | null;
  /** its own lines around each filtered port's rules (DHCP, NDP, router advertisements) */
  fixedRules: Record<Family, FixedRules>;
  /**
   * anti-spoofing: which IPv6 link-local sources a port may use ('each-ipv6-mac': each MAC's, after its first
   * IPv6 entry, as the iptables driver's _spoofing_rule; 'own-mac': the port's own MAC's, always), and whether
   * a port without fixed IPs may send from any address with its MAC
   */
  linkLocal: 'each-ipv6-mac' | 'own-mac';
  macOnlyWithoutFixedIps: boolean;
  /** the protocols (numbers) whose rules' port ranges it matches; a range on another protocol is dropped, so the rule takes every port */
  portRangeProtocols: ReadonlySet<string>;
  /**
   * a MAC-pinned member stands for every remote group with one that the rules of one direction and family on the
   * node's ports of a network name: the openvswitch firewall merges a network's conjunction ids by address, and the
   * exact /0 of each holder is one address (firewall.py `_update_flows_for_vlan_subr`, ip_to_conj)
   */
  pinnedMembersShared: boolean;
}

/** Neutron's iptables drivers: ports of tcp, udp, dccp, sctp and udplite (iptables' `-m <protocol> --dport`) */
const IPTABLES_PORT_SECURITY = {
  fixedRules: FIXED_RULES, linkLocal: 'each-ipv6-mac', macOnlyWithoutFixedIps: true, portRangeProtocols: PORT_PROTOCOLS,
  pinnedMembersShared: false,
} as const;

/**
 * The openvswitch firewall (openvswitch_firewall/firewall.py, rules.py): its own fixed lines; a port's
 * allowed (MAC, address) pairs are its pairs, its fixed IPs and its own MAC's link-local address, nothing
 * for a port without fixed IPs; ports only of tcp, udp and sctp (constants.PROTOCOLS_WITH_PORTS).
 */
const OVS_PORT_SECURITY = {
  fixedRules: OVS_FIXED_RULES, linkLocal: 'own-mac', macOnlyWithoutFixedIps: false, portRangeProtocols: new Set(['6', '17', '132']),
  pinnedMembersShared: true,
} as const;

export const BACKEND_SEMANTICS: Record<NeutronBackend, BackendSemantics> = {
  iptables: { label: 'iptables/ipset (linuxbridge)', iptablesDriver: 'linuxbridge', sgInfoSource: 'server_rpc', pairsAreMembers: true, macPinnedPrefixlen: null, ...IPTABLES_PORT_SECURITY },
  iptables_hybrid: { label: 'iptables/ipset (openvswitch hybrid)', iptablesDriver: 'ovs_hybrid', sgInfoSource: 'agent_shim', pairsAreMembers: true, macPinnedPrefixlen: null, ...IPTABLES_PORT_SECURITY },
  openvswitch: { label: 'openvswitch firewall (OpenFlow)', iptablesDriver: null, sgInfoSource: 'agent_shim', pairsAreMembers: true, macPinnedPrefixlen: 0, ...OVS_PORT_SECURITY },
  // OVN's mechanism driver reads the database, as the server's RPC does: a port without fixed IPs stands for nothing [inferred]
  // port security as the iptables drivers' until OVN's own is modelled
  ovn: { label: 'OVN ACLs', iptablesDriver: null, sgInfoSource: 'server_rpc', pairsAreMembers: false, macPinnedPrefixlen: null, ...IPTABLES_PORT_SECURITY },
};

/** `options.driver` names (a topology file's, `portsec compile --driver`) that name a backend rather than an iptables driver */
export const DRIVER_BACKENDS: Readonly<Record<string, NeutronBackend>> = { openvswitch: 'openvswitch', ovn: 'ovn' };

/** The backend a driver name stands for, if it is not an iptables driver. */
export const driverBackend = (driver: unknown): NeutronBackend | undefined =>
  typeof driver === 'string' && Object.hasOwn(DRIVER_BACKENDS, driver) ? DRIVER_BACKENDS[driver] : undefined;

export const isNeutronBackend = (v: unknown): v is NeutronBackend => typeof v === 'string' && (NEUTRON_BACKENDS as readonly string[]).includes(v);
