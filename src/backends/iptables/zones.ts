/**
 * Connection tracking, as Neutron's iptables firewall does it: whether a port's
 * traffic is tracked, and in which conntrack zone. Agent state of this backend
 * (another may have none), kept across restarts by the agent; the IR knows none of it.
 */
import { groupRules } from '../../policy/compile.js';
import { type Family, type HostPolicy, type Member, type PolicyRule, type PortPolicy } from '../../policy/ir.js';
import { type Topology, type TopologyPort } from '../../policy/topology.js';
import { byDevice } from './naming.js';

/** What the raw table does with a filtered port's traffic: track it in its zone, or not at all. */
export interface PortConntrack {
  tracking: 'zone' | 'notrack';
  zone: number;
}

/** A port's policy as this backend completes it (a port it does not filter: tracked, no zone of its own). */
export type ZonedPort = PortPolicy & { tracking: PortConntrack['tracking']; zone: number | null };

/** The node's IR as this backend completes it. */
export interface ZonedPolicy extends HostPolicy {
  ports: ZonedPort[];
  /** conntrack zone per key (network on linuxbridge, port on ovs_hybrid) */
  zones: Map<string, number>;
}

/**
 * Conntrack zones: one per network (linuxbridge) or per port (ovs_hybrid), next free above the highest.
 * A port's key is its device past the three-letter prefix Neutron cuts: the hybrid plug's device is the
 * id itself, so the id's first three characters go.
 */
export function zoneKey(p: TopologyPort, perPort: boolean): string {
  return (perPort ? p.id.slice(3) : p.network_id).slice(0, 11);
}

/** Gives `ports` (in device order) the zones they lack in `zones`, each the next above the highest. */
export function assignZones(ports: TopologyPort[], perPort: boolean, zones: Map<string, number>): void {
  let top = 4096;
  for (const z of zones.values()) top = Math.max(top, z);
  for (const p of [...ports].sort(byDevice)) {
    const key = zoneKey(p, perPort);
    if (!zones.has(key)) zones.set(key, ++top);
  }
}

/**
 * The iptables driver decides tracking from the first rule of the port's first
 * group (without ipset: the first rule that expands to anything); no such rule
 * means stateful, whatever the group says.
 */
export function tracking(p: TopologyPort, { groups, options }: Topology, members: (g: string, f: Family) => Member[]): PortConntrack['tracking'] {
  if (p.device_owner.startsWith('network:') || p.device_owner.startsWith('neutron:') || !p.security_groups.length) return 'zone';
  const first = groups.get(p.security_groups[0])!;
  if (first.stateful) return 'zone';
  const own = groupRules(first, options.sgInfoSource === 'agent_shim');
  const expands = (r: PolicyRule) => r.remote.kind !== 'group' || members(r.remote.groupId, r.ethertype).some((m) => !p.fixed_ips.includes(m.ip));
  const decisive = options.enableIpset ? own[0] : own.find(expands);
  return decisive ? 'notrack' : 'zone';
}
