/**
 * What the OVS firewall reads from the node's OVSDB rather than from Neutron:
 * each local port's ofport (its `Interface` row) and local VLAN (its `Port`
 * row's `other_config:tag`, the agent's own numbering of networks). The
 * renderer takes them as an input, with the agent's cookie; `numberedInOrder`
 * gives the numbering and cookie the golden harness's OVSDB stands in with
 * (test/golden/neutron_harness/ovs_node.py, ovs.py). Every network is taken to be
 * tunnelled (`other_config:network_type` vxlan, as the harness says): a VLAN or
 * flat network's physical direct flows are not rendered.
 */
import { type Topology, type TopologyPort } from '../../policy/topology.js';

export interface OvsdbFacts {
  /** the port's OpenFlow port number on br-int */
  ofport(portId: string): number;
  /** the local VLAN of the port's network: reg6, the conntrack zone */
  vlan(portId: string): number;
  /** the agent's default cookie (random per agent in Neutron; `ovs-ofctl add-flows` input carries it on every flow) */
  cookie: number;
}

/** the cookie the golden harness fixes (ovs.py DEFAULT_COOKIE) */
export const HARNESS_COOKIE = 0x1000;

/**
 * Ports numbered 1, 2, ... in the order given (every port, local or not), networks 1, 2, ...
 * in the order their first port appears: any fixed rule does, as Neutron's agent takes ofports
 * from OVSDB and VLANs from its own allocator.
 */
export function numberedInOrder(ports: readonly TopologyPort[], cookie = HARNESS_COOKIE): OvsdbFacts {
  const numbers = new Map<string, { ofport: number; vlan: number }>();
  const vlans = new Map<string, number>();
  for (const p of ports) {
    if (numbers.has(p.id)) continue;
    if (!vlans.has(p.network_id)) vlans.set(p.network_id, vlans.size + 1);
    numbers.set(p.id, { ofport: numbers.size + 1, vlan: vlans.get(p.network_id)! });
  }
  const of = (id: string) => numbers.get(id) ?? fail(id);
  return { ofport: (id) => of(id).ofport, vlan: (id) => of(id).vlan, cookie };
}

function fail(id: string): never {
  throw new Error(`port ${id} has no ofport on br-int`);
}

/** The harness's numbering of a topology's ports. */
export const topologyFacts = (t: Topology): OvsdbFacts => numberedInOrder(t.ports);
