/** Names on the compute node, as Neutron's iptables drivers derive them (and truncate them). */
import { type Driver, type Topology, TopologyError, type TopologyPort } from '../../policy/topology.js';
import { type Family } from '../../policy/ir.js';

/** IptablesManager's wrap prefix: basename(argv[0])[:16] of the agent binary */
export const WRAP: Record<Driver, string> = { linuxbridge: 'neutron-linuxbri', ovs_hybrid: 'neutron-openvswi' };

const MAX_CHAIN = 11;
/** neutron-lib LINUX_DEV_LEN: device names are cut to it (under IFNAMSIZ) */
const LINUX_DEV_LEN = 14;

/** every port's device on a node starts so (Nova's and the linuxbridge agent's naming); nothing else plugged into a bridge does */
export const TAP_PREFIX = 'tap';

/** The tap an instance's port is plugged with (Nova's and the linuxbridge agent's name): tap + the id, cut. */
export const tapName = (portId: string) => `${TAP_PREFIX}${portId}`.slice(0, LINUX_DEV_LEN);

// a port is an immutable object (a change replaces it): its tap is worked out once
const taps = new WeakMap<TopologyPort, string>();

/** The port's tap: what linuxbridge plugs, and the hybrid plug's tap too. */
function tapOf(p: TopologyPort): string {
  let tap = taps.get(p);
  if (tap === undefined) taps.set(p, (tap = tapName(p.id)));
  return tap;
}

/** The port's device in the agent's port dict: its tap (linuxbridge), its id (the OVS agent's hybrid plug). */
export const device = (driver: Driver, p: TopologyPort): string => (driver === 'linuxbridge' ? tapOf(p) : p.id);

// joined rather than a template literal: chain names are kept (and hashed) flat
export const wrapped = (driver: Driver, chain: string) => [WRAP[driver], chain.slice(0, MAX_CHAIN)].join('-');

export type PortChain = 'i' | 'o' | 's';

/** i/o/s + the device without its "tap", truncated (both drivers keep the id's first 10 characters): neutron-linuxbri-ic0ffee10-a */
export const portChain = (driver: Driver, p: TopologyPort, kind: PortChain) => wrapped(driver, `${kind}${p.id}`);

/** the device physdev matches: the tap itself, or the hybrid plug's tap (the same name) */
export const physdev = tapOf;

/** The linuxbridge agent's bridge of a network. */
export const bridgeName = (networkId: string) => `brq${networkId}`.slice(0, LINUX_DEV_LEN);

/** the bridge device of the conntrack-zone rules: brq<network> or qvb<port> */
export const bridgeDevice = (driver: Driver, p: TopologyPort) =>
  (driver === 'linuxbridge' ? bridgeName(p.network_id) : `qvb${p.id}`.slice(0, LINUX_DEV_LEN));

/** _get_port_device_name: drops four characters of a tap name (Neutron's own off-by-one) */
export function zoneCommentName(driver: Driver, p: TopologyPort): string {
  const dev = device(driver, p);
  return dev.startsWith(TAP_PREFIX) ? dev.slice(4) : dev;
}

/**
 * Neutron's port order in the shared chains and for numbering zones: by device. Either
 * driver's device keeps the start of the id, and local ports' devices differ (checkNames),
 * so the ids' order is the devices'.
 */
export const byDevice = (a: TopologyPort, b: TopologyPort) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const IPSET_NAME_MAX = 29;

export const ipsetName = (groupId: string, family: Family) => `N${family}${groupId}`.slice(0, IPSET_NAME_MAX);

/** The part of a port's id that its truncated chain names keep (i/o/s + 10 characters). */
export const chainKey = (p: TopologyPort) => p.id.slice(0, 10);

export const chainCollision = (id: string, other: string) =>
  new TopologyError(`port ${id}: its iptables chain names collide with port ${other}'s (first 10 characters of the id)`);

/** A device the input names (the golden harness's port dict) must be the one the driver derives. */
export function checkDevice(driver: Driver, p: TopologyPort): void {
  if (driver === 'linuxbridge' && p.device !== undefined && p.device !== device(driver, p)) {
    throw new TopologyError(`port ${p.id}: device must be ${device(driver, p)}`);
  }
}

/** Names the kernel would confuse: devices and truncated chain names of two ports, ipset names of two groups. */
export function checkNames(t: Topology, local: TopologyPort[]): void {
  const { driver } = t.options;
  for (const p of t.ports) checkDevice(driver, p);
  const devices = new Map<string, string>();
  for (const p of local) {
    const other = devices.get(device(driver, p));
    if (other) throw new TopologyError(`port ${p.id}: its device ${device(driver, p)} collides with port ${other}'s`);
    devices.set(device(driver, p), p.id);
  }
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
