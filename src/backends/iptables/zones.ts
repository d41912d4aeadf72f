/**
 * Conntrack zones, as Neutron's iptables firewall numbers them: agent state of
 * this backend (another may have none), kept across restarts by the agent.
 */
import { type TopologyPort } from '../../policy/topology.js';
import { byDevice } from './naming.js';

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
