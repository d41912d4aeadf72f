/** Names on the compute node, as Neutron's iptables drivers derive them (and truncate them). */
import { type Driver, type Topology, TopologyError, type TopologyPort } from '../../policy/topology.js';
import { type Family } from '../../policy/ir.js';

/** IptablesManager's wrap prefix: basename(argv[0])[:16] of the agent binary */
export const WRAP: Record<Driver, string> = { linuxbridge: 'neutron-linuxbri', ovs_hybrid: 'neutron-openvswi' };

const MAX_CHAIN = 11;
const LINUX_DEV_LEN = 14;

// joined rather than a template literal: chain names are kept (and hashed) flat
export const wrapped = (driver: Driver, chain: string) => [WRAP[driver], chain.slice(0, MAX_CHAIN)].join('-');

export type PortChain = 'i' | 'o' | 's';

/** i/o/s + the device without its "tap", truncated: neutron-linuxbri-ic0ffee10-a */
export const portChain = (driver: Driver, p: TopologyPort, kind: PortChain) =>
  wrapped(driver, `${kind}${driver === 'linuxbridge' ? p.device.slice(3) : p.device}`);

/** the device physdev matches: the tap itself, or the hybrid plug's tap */
export const physdev = (driver: Driver, p: TopologyPort) =>
  driver === 'linuxbridge' ? p.device : `tap${p.device}`.slice(0, LINUX_DEV_LEN);

/** the bridge device of the conntrack-zone rules: brq<network> or qvb<port> */
export const bridgeDevice = (driver: Driver, p: TopologyPort) =>
  (driver === 'linuxbridge' ? `brq${p.network_id}` : `qvb${p.device}`).slice(0, LINUX_DEV_LEN);

/** _get_port_device_name: drops four characters of a tap name (Neutron's own off-by-one) */
export const zoneCommentName = (p: TopologyPort) => (p.device.startsWith('tap') ? p.device.slice(4) : p.device);

const IPSET_NAME_MAX = 29;

export const ipsetName = (groupId: string, family: Family) => `N${family}${groupId}`.slice(0, IPSET_NAME_MAX);

/** The part of a port's id that its truncated chain names keep (i/o/s + 10 characters). */
export const chainKey = (p: TopologyPort) => p.id.slice(0, 10);

export const chainCollision = (id: string, other: string) =>
  new TopologyError(`port ${id}: its iptables chain names collide with port ${other}'s (first 10 characters of the id)`);

/** Names the kernel would confuse: truncated chain names of two ports, ipset names of two groups. */
export function checkNames(t: Topology, local: TopologyPort[]): void {
  const chains = new Map<string, string>();
  for (const p of local) {
    const other = chains.get(chainKey(p));
    if (other) throw chainCollision(p.id, other);
    chains.set(chainKey(p), p.id);
  }
  const sets = new Map<string, string>();
  for (const g of t.groups.keys()) {
    const other = sets.get(g.slice(0, 24));
    if (other) throw ipsetCollision(g, other);
    sets.set(g.slice(0, 24), g);
  }
}

const ipsetCollision = (g: string, other: string) =>
  new TopologyError(`security group ${g}: its ipset name collides with security group ${other}'s (first 24 characters of the id)`);

/** ipset names keep 24 characters of the group id: two groups must differ within them. */
export function checkGroupName(t: Topology, groupId: string): void {
  const key = groupId.slice(0, 24);
  for (const other of t.groups.keys()) {
    if (other !== groupId && other.slice(0, 24) === key) throw ipsetCollision(groupId, other);
  }
}
