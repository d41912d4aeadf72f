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
 *   `0.0.0.0/1` + `128.0.0.0/1`, /8 … stay open to any source.
 * - ovn: a port group's address set is built from the LSP's `addresses` (fixed IPs);
 *   Neutron writes pairs only into `port_security`, so pairs never join a remote group.
 *   ACLs are all there is (neutron/common/ovn/acl.py): no DHCP or router-advertisement
 *   rules of Neutron's, DCCP and UDP-Lite rules become `ip.proto == 33/136` without their
 *   ports; northd lets ND, RA, RS and MLD through both ways before the ACLs
 *   (`nd || nd_ra || nd_rs || mldv1 || mldv2`, priority 65532). ovn-controller's port
 *   security (controller/lflow.c, 23.03) also checks a unicast frame's destination IP on
 *   delivery: one of the port's port-security addresses, 255.255.255.255 or multicast
 *   (frames to a group MAC skip it: `eth.mcast`); a port-security prefix with host bits
 *   set stands for that address alone, as on the way out.
 */
import { PORT_PROTOCOLS } from '../model/protocols.js';
import { FIXED_RULES, type FixedRules, OVN_FIXED_RULES } from './fixed-rules.js';
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
  /** whether Neutron's provider rules (DHCP replies and router advertisements let in) are among a port's rules */
  providerRules: boolean;
  /** the lines around every filtered port's rules, before them (policy/fixed-rules.ts) */
  fixedRules: Record<Family, FixedRules>;
  /** the protocols (numbers) whose rules' port ranges it matches; a range on another protocol is dropped, so the rule takes every port */
  portRangeProtocols: ReadonlySet<string>;
  /** whether a filtered port's unicast frames are delivered only to its own addresses (its anti-spoofing entries), broadcast and multicast */
  destinationCheck: boolean;
  /** whether an allowed prefix with host bits set (10.0.0.5/24) stands for that address alone, not its network */
  hostBitsPinAddress: boolean;
  /**
   * when a port sends any address from its own MAC: without fixed IPs (iptables' MAC-only anti-spoofing rule), or
   * only with neither fixed IPs nor a pair of its MAC (OVN: Neutron appends those pairs to the port's port-security entry)
   */
  anyFromBareMac: 'without-fixed-ips' | 'without-own-addresses';
  /**
   * the spelling a pair's stored MAC needs for the backend to read it, null: any the API takes (OVN parses only
   * colon-separated MACs: Neutron writes a pair stored as fa16.3e00.0005 as it is, and OVN leaves that entry out)
   */
  pairMacForm: RegExp | null;
}

/** tcp, udp, sctp: the fields OVN's ACLs have */
const OVN_PORTS = new Set(['6', '17', '132']);
const IPTABLES = {
  providerRules: true, fixedRules: FIXED_RULES, portRangeProtocols: PORT_PROTOCOLS, destinationCheck: false, hostBitsPinAddress: false, anyFromBareMac: 'without-fixed-ips',
  pairMacForm: null,
} as const;

export const BACKEND_SEMANTICS: Record<NeutronBackend, BackendSemantics> = {
  iptables: { label: 'iptables/ipset (linuxbridge)', iptablesDriver: 'linuxbridge', sgInfoSource: 'server_rpc', pairsAreMembers: true, macPinnedPrefixlen: null, ...IPTABLES },
  iptables_hybrid: { label: 'iptables/ipset (openvswitch hybrid)', iptablesDriver: 'ovs_hybrid', sgInfoSource: 'agent_shim', pairsAreMembers: true, macPinnedPrefixlen: null, ...IPTABLES },
  openvswitch: { label: 'openvswitch firewall (OpenFlow)', iptablesDriver: null, sgInfoSource: 'agent_shim', pairsAreMembers: true, macPinnedPrefixlen: 0, ...IPTABLES },
  // OVN's mechanism driver reads the database, as the server's RPC does: a port without fixed IPs stands for nothing [inferred]
  ovn: {
    label: 'OVN ACLs', iptablesDriver: null, sgInfoSource: 'server_rpc', pairsAreMembers: false, macPinnedPrefixlen: null,
    providerRules: false, fixedRules: OVN_FIXED_RULES, portRangeProtocols: OVN_PORTS, destinationCheck: true, hostBitsPinAddress: true, anyFromBareMac: 'without-own-addresses',
    pairMacForm: /^[0-9a-f]{1,2}(:[0-9a-f]{1,2}){5}$/i,
  },
};

/** `options.driver` names (a topology file's, `portsec compile --driver`) that name a backend rather than an iptables driver */
export const DRIVER_BACKENDS: Readonly<Record<string, NeutronBackend>> = { openvswitch: 'openvswitch', ovn: 'ovn' };

/** The backend a driver name stands for, if it is not an iptables driver. */
export const driverBackend = (driver: unknown): NeutronBackend | undefined =>
  typeof driver === 'string' && Object.hasOwn(DRIVER_BACKENDS, driver) ? DRIVER_BACKENDS[driver] : undefined;

export const isNeutronBackend = (v: unknown): v is NeutronBackend => typeof v === 'string' && (NEUTRON_BACKENDS as readonly string[]).includes(v);
