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
 */
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
}

export const BACKEND_SEMANTICS: Record<NeutronBackend, BackendSemantics> = {
  iptables: { label: 'iptables/ipset (linuxbridge)', iptablesDriver: 'linuxbridge', sgInfoSource: 'server_rpc', pairsAreMembers: true, macPinnedPrefixlen: null },
  iptables_hybrid: { label: 'iptables/ipset (openvswitch hybrid)', iptablesDriver: 'ovs_hybrid', sgInfoSource: 'agent_shim', pairsAreMembers: true, macPinnedPrefixlen: null },
  openvswitch: { label: 'openvswitch firewall (OpenFlow)', iptablesDriver: null, sgInfoSource: 'agent_shim', pairsAreMembers: true, macPinnedPrefixlen: 0 },
  // OVN's mechanism driver reads the database, as the server's RPC does: a port without fixed IPs stands for nothing [inferred]
  ovn: { label: 'OVN ACLs', iptablesDriver: null, sgInfoSource: 'server_rpc', pairsAreMembers: false, macPinnedPrefixlen: null },
};

/** `options.driver` names (a topology file's, `portsec compile --driver`) that name a backend rather than an iptables driver */
export const DRIVER_BACKENDS: Readonly<Record<string, NeutronBackend>> = { openvswitch: 'openvswitch', ovn: 'ovn' };

/** The backend a driver name stands for, if it is not an iptables driver. */
export const driverBackend = (driver: unknown): NeutronBackend | undefined =>
  typeof driver === 'string' && Object.hasOwn(DRIVER_BACKENDS, driver) ? DRIVER_BACKENDS[driver] : undefined;

export const isNeutronBackend = (v: unknown): v is NeutronBackend => typeof v === 'string' && (NEUTRON_BACKENDS as readonly string[]).includes(v);
