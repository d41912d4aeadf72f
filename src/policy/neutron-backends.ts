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
 *   matches are its own (openvswitch_firewall/firewall.py, rules.py), checked by test/backend-suite/planes/ovs-trace.ts
 *   against real Open vSwitch.
 * - ovn: a port group's address set is built from the LSP's `addresses` (fixed IPs);
 *   Neutron writes pairs only into `port_security`, so pairs never join a remote group.
 *   ACLs are all there is (neutron/common/ovn/acl.py): no DHCP or router-advertisement
 *   rules of Neutron's, DCCP and UDP-Lite rules become `ip.proto == 33/136` without their
 *   ports; northd lets ND, RA, RS and MLD through both ways before the ACLs
 *   (`nd || nd_ra || nd_rs || mldv1 || mldv2`, priority 65532). ovn-controller's port
 *   security (controller/lflow.c, 23.03) also checks a unicast frame's destination IP on
 *   delivery: one of the port's port-security addresses, 255.255.255.255 or multicast
 *   (frames to a group MAC skip it: `eth.mcast`); a port-security prefix with host bits
 *   set stands for that address alone, as on the way out. Checked by test/backend-suite/planes/ovn-trace.ts
 *   against real OVN.
 * - stateless groups: iptables untracks the port (iptables_firewall.py), OVN writes `allow-stateless`
 *   ACLs (common/ovn/acl.py); `stateful` appears nowhere in openvswitch_firewall/.
 * - non-IP ethertypes: the openvswitch firewall's base egress table ends in a drop (priority 10)
 *   after ARP, IPv4, IPv6 and the `permitted_ethertypes` option's (openvswitch_firewall/firewall.py);
 *   iptables sees only IP, and OVN's default drop matches `ip`.
 */
import { PORT_PROTOCOLS } from '../model/protocols.js';
import { FIXED_RULES, type FixedRules, OVN_FIXED_RULES, OVS_FIXED_RULES } from './fixed-rules.js';
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
  /** whether Neutron's provider rules (DHCP replies and router advertisements let in) are among a port's rules */
  providerRules: boolean;
  /** whether a filtered port's unicast frames are delivered only to its own addresses (its anti-spoofing entries), broadcast and multicast */
  destinationCheck: boolean;
  /** whether an allowed prefix with host bits set (10.0.0.5/24) stands for that address alone, not its network */
  hostBitsPinAddress: boolean;
  /**
   * whether a pair stored with the port's own MAC takes the place of the MAC-only entry of a port without fixed IPs
   * (OVN: Neutron appends such pairs to the port's port-security entry, which is then no longer its bare MAC)
   */
  ownMacPairsEndMacOnly: boolean;
  /**
   * the spelling a pair's stored MAC needs for the backend to read it, null: any the API takes (OVN parses only
   * colon-separated MACs: Neutron writes a pair stored as fa16.3e00.0005 as it is, and OVN leaves that entry out)
   */
  pairMacForm: RegExp | null;
  /** whether a stateless group leaves its ports' traffic untracked (the openvswitch firewall ignores `stateful`) */
  honoursStateless: boolean;
  /** whether a port's egress of ethertypes other than IPv4, IPv6 and ARP is dropped (openvswitch: unless permitted_ethertypes) */
  dropsNonIp: boolean;
}

/** what the iptables drivers and the openvswitch firewall share: Neutron's provider rules, no check on delivery */
const AGENT_PORT_SECURITY = { providerRules: true, destinationCheck: false, hostBitsPinAddress: false, ownMacPairsEndMacOnly: false, pairMacForm: null } as const;

/** Neutron's iptables drivers: ports of tcp, udp, dccp, sctp and udplite (iptables' `-m <protocol> --dport`) */
const IPTABLES_PORT_SECURITY = {
  fixedRules: FIXED_RULES, linkLocal: 'each-ipv6-mac', macOnlyWithoutFixedIps: true, portRangeProtocols: PORT_PROTOCOLS,
  pinnedMembersShared: false, ...AGENT_PORT_SECURITY,
} as const;

/**
 * The openvswitch firewall (openvswitch_firewall/firewall.py, rules.py): its own fixed lines; a port's
 * allowed (MAC, address) pairs are its pairs, its fixed IPs and its own MAC's link-local address, nothing
 * for a port without fixed IPs; ports only of tcp, udp and sctp (constants.PROTOCOLS_WITH_PORTS).
 */
const OVS_PORT_SECURITY = {
  fixedRules: OVS_FIXED_RULES, linkLocal: 'own-mac', macOnlyWithoutFixedIps: false, portRangeProtocols: new Set(['6', '17', '132']),
  pinnedMembersShared: true, ...AGENT_PORT_SECURITY,
} as const;

/**
 * OVN (ovn-northd, ovn-controller 23.03, on the rows Neutron's OVN driver writes): ACLs only, with northd's
 * ND and MLD allowances; each port-security entry's MAC's link-local address; ports of tcp, udp and sctp.
 */
const OVN_PORT_SECURITY = {
  fixedRules: OVN_FIXED_RULES, linkLocal: 'each-ipv6-mac', macOnlyWithoutFixedIps: true, portRangeProtocols: new Set(['6', '17', '132']),
  pinnedMembersShared: false, providerRules: false, destinationCheck: true, hostBitsPinAddress: true, ownMacPairsEndMacOnly: true,
  pairMacForm: /^[0-9a-f]{1,2}(:[0-9a-f]{1,2}){5}$/i,
} as const;

export const BACKEND_SEMANTICS: Record<NeutronBackend, BackendSemantics> = {
  iptables: { label: 'iptables/ipset (linuxbridge)', iptablesDriver: 'linuxbridge', sgInfoSource: 'server_rpc', pairsAreMembers: true, macPinnedPrefixlen: null, honoursStateless: true, dropsNonIp: false, ...IPTABLES_PORT_SECURITY },
  iptables_hybrid: { label: 'iptables/ipset (openvswitch hybrid)', iptablesDriver: 'ovs_hybrid', sgInfoSource: 'agent_shim', pairsAreMembers: true, macPinnedPrefixlen: null, honoursStateless: true, dropsNonIp: false, ...IPTABLES_PORT_SECURITY },
  openvswitch: { label: 'openvswitch firewall (OpenFlow)', iptablesDriver: null, sgInfoSource: 'agent_shim', pairsAreMembers: true, macPinnedPrefixlen: 0, honoursStateless: false, dropsNonIp: true, ...OVS_PORT_SECURITY },
  // OVN's mechanism driver reads the database, as the server's RPC does: a port without fixed IPs stands for nothing [inferred]
  ovn: { label: 'OVN ACLs', iptablesDriver: null, sgInfoSource: 'server_rpc', pairsAreMembers: false, macPinnedPrefixlen: null, honoursStateless: true, dropsNonIp: false, ...OVN_PORT_SECURITY },
};

/** `options.driver` names (a topology file's, `portsec compile --driver`) that name a backend rather than an iptables driver */
export const DRIVER_BACKENDS: Readonly<Record<string, NeutronBackend>> = { openvswitch: 'openvswitch', ovn: 'ovn' };

/** The backend a driver name stands for, if it is not an iptables driver. */
export const driverBackend = (driver: unknown): NeutronBackend | undefined =>
  typeof driver === 'string' && Object.hasOwn(DRIVER_BACKENDS, driver) ? DRIVER_BACKENDS[driver] : undefined;

export const isNeutronBackend = (v: unknown): v is NeutronBackend => typeof v === 'string' && (NEUTRON_BACKENDS as readonly string[]).includes(v);
