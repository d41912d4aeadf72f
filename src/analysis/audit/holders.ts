/**
 * The ports a group's rules are in force on (its filtered ports) and the backend of each one's node,
 * found once per group and cloud: the checks ask it of the group of every rule naming a remote group,
 * and a port is in a few groups of hundreds of rules (bench/audit: 1.8 million kind and backend
 * look-ups, and an object per look-up, came down to one per port and group).
 */
import { type Cloud, push } from '../cloud.js';
import { type SnapshotPort } from '../snapshot.js';
import { type NeutronBackend } from '../../policy/neutron-backends.js';

export interface Holders {
  /** the group's filtered ports, in portsOfGroup's order */
  ports: readonly SnapshotPort[];
  /** ports[i]'s node's backend */
  backends: readonly NeutronBackend[];
  /** the ports by backend, the backends in the order of their first port */
  byBackend: ReadonlyMap<NeutronBackend, readonly SnapshotPort[]>;
}

const known = new WeakMap<Cloud, Map<string, Holders>>();

export function holders(cloud: Cloud, groupId: string): Holders {
  let ofGroup = known.get(cloud);
  if (!ofGroup) known.set(cloud, (ofGroup = new Map()));
  let h = ofGroup.get(groupId);
  if (!h) {
    const ports: SnapshotPort[] = [];
    const backends: NeutronBackend[] = [];
    const byBackend = new Map<NeutronBackend, SnapshotPort[]>();
    for (const p of cloud.portsOfGroup.get(groupId) ?? []) {
      if (cloud.kind(p.id) !== 'filtered') continue;
      const { backend } = cloud.backendAt(p.id);
      ports.push(p);
      backends.push(backend);
      push(byBackend, backend, p);
    }
    ofGroup.set(groupId, (h = { ports, backends, byBackend }));
  }
  return h;
}
