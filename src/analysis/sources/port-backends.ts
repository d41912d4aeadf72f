/**
 * Which firewall each port's node runs, from what the cloud shows an admin: the
 * port's binding (`binding:vif_type`, `binding:vif_details`, `binding:host_id`)
 * and the agents API (GET /v2.0/agents). A cloud half-way through a migration
 * (ML2/OVS to ML2/OVN) binds some ports one way and some the other, so this is
 * decided port by port, each with the evidence it rests on; a port nothing
 * speaks for is `unknown` (the analysis then assumes the default backend, and says so).
 *
 * What each mechanism driver binds with (neutron 21.0.0, Zed):
 * - linuxbridge: vif_type `bridge`, vif_details {port_filter, connectivity}
 *   (plugins/ml2/drivers/linuxbridge/mech_driver/mech_linuxbridge.py).
 * - openvswitch: vif_type `ovs` (`vhostuser` for DPDK), vif_details {port_filter, connectivity,
 *   ovs_hybrid_plug, datapath_type, bridge_name}; ovs_hybrid_plug is the agent's
 *   `configurations.ovs_hybrid_plug` (mech_openvswitch.py `_pre_get_vif_details`), which the OVS
 *   agent reports as its firewall's OVS_HYBRID_PLUG_REQUIRED (ovs_neutron_agent.py): true only for
 *   OVSHybridIptablesFirewallDriver (agent/linux/iptables_firewall.py), false for the openvswitch
 *   firewall (and the noop driver, which the API does not tell apart).
 * - ovn: vif_type `ovs` (`vhostuser`), vif_details {port_filter, connectivity} and no ovs_hybrid_plug
 *   (plugins/ml2/drivers/ovn/mech_driver/mech_driver.py `_setup_vif_port_bindings`).
 * - ML2 adds `bound_drivers` ({level: mechanism driver}) to every bound port's vif_details
 *   (plugins/ml2/plugin.py `_update_port_dict_bound_drivers`): it names the driver outright.
 * - agents: agent_type "Linux bridge agent", "Open vSwitch agent" (neutron_lib/constants.py),
 *   "OVN Controller agent", "OVN Controller Gateway agent" (neutron/common/ovn/constants.py), per host.
 *   A non-admin's listing is empty (get_agent is admin only; the list drops what policy hides), or
 *   refused (403), or the API is absent (404): then the agents say nothing.
 */
import { z } from 'zod';
import { type NeutronBackend } from '../../policy/neutron-backends.js';
import { type PortBackend, type SnapshotAgent, type SnapshotBackends, type SnapshotPort } from '../snapshot.js';
import { checked } from './schema.js';

/** An item of GET /v2.0/agents as read here: the configuration key the backend depends on, nothing else. */
export const agentShape = z.object({
  agent_type: z.string(),
  host: z.string(),
  alive: z.boolean().optional(),
  configurations: z.object({ ovs_hybrid_plug: z.boolean().optional() }).optional(),
});

/** The fields a live import asks the agents API for. */
export const AGENT_FIELDS = ['agent_type', 'host', 'alive', 'configurations'];

/** The agents that say which firewall a host's ports have, and what each says. */
function agentBackend(a: SnapshotAgent): { backend: NeutronBackend | null; says: string } | undefined {
  const on = `${a.agent_type} on host ${a.host}`;
  switch (a.agent_type) {
    case 'Linux bridge agent':
      return { backend: 'iptables', says: on };
    case 'Open vSwitch agent': {
      const hybrid = a.configurations?.ovs_hybrid_plug;
      if (hybrid === undefined) return { backend: null, says: `${on} without configurations.ovs_hybrid_plug` };
      return { backend: hybrid ? 'iptables_hybrid' : 'openvswitch', says: `${on} with configurations.ovs_hybrid_plug=${hybrid}` };
    }
    case 'OVN Controller agent':
    case 'OVN Controller Gateway agent':
      return { backend: 'ovn', says: on };
    default:
      return undefined;
  }
}

/** What ovs_hybrid_plug says of an ML2/OVS port (`by`: what bound it). */
function ovsFirewall(by: string, hybrid: unknown): { backend: NeutronBackend | null; says: string } {
  if (hybrid === true) return { backend: 'iptables_hybrid', says: `${by}, ovs_hybrid_plug=true (ML2/OVS, hybrid iptables firewall)` };
  if (hybrid === false) return { backend: 'openvswitch', says: `${by}, ovs_hybrid_plug=false (ML2/OVS, openvswitch firewall)` };
  return { backend: null, says: `${by}, without ovs_hybrid_plug` };
}

/** The mechanism driver that bound the port's VIF: the deepest level of `bound_drivers` (ML2 adds it, plugin.py `_update_port_dict_bound_drivers`). */
function boundDriver(details: Record<string, unknown>): string | undefined {
  const levels = details.bound_drivers;
  if (typeof levels !== 'object' || levels === null) return undefined;
  const deepest = Object.keys(levels).sort((a, b) => Number(b) - Number(a))[0];
  const driver = deepest === undefined ? undefined : (levels as Record<string, unknown>)[deepest];
  return typeof driver === 'string' ? driver : undefined;
}

/** What the port's binding says, if it says anything. */
function bindingBackend(p: SnapshotPort): { backend: NeutronBackend | null; says: string } | undefined {
  const type = p['binding:vif_type'];
  const details = p['binding:vif_details'] ?? {};
  const driver = boundDriver(details);
  if (driver !== undefined) {
    const by = `bound by ${driver} (binding:vif_details.bound_drivers)`;
    if (driver === 'linuxbridge') return { backend: 'iptables', says: `${by}: ML2/linuxbridge` };
    if (driver === 'ovn') return { backend: 'ovn', says: `${by}: ML2/OVN` };
    if (driver === 'openvswitch') return ovsFirewall(by, details.ovs_hybrid_plug);
    return { backend: null, says: `${by}, a mechanism driver of no known firewall` };
  }
  // a dump without bound_drivers: the VIF type and details as each driver writes them
  if (type === 'bridge') return { backend: 'iptables', says: 'binding:vif_type=bridge (ML2/linuxbridge)' };
  if (type !== 'ovs' && type !== 'vhostuser') return undefined;
  if (!p['binding:vif_details']) return { backend: null, says: `binding:vif_type=${type} without binding:vif_details (ML2/OVS or ML2/OVN)` };
  if ('ovs_hybrid_plug' in details) return ovsFirewall(`binding:vif_type=${type}`, details.ovs_hybrid_plug);
  return { backend: 'ovn', says: `binding:vif_type=${type} with no ovs_hybrid_plug in binding:vif_details (ML2/OVN)` };
}

// one answer shared by every port without a binding or host (bench/audit: 100,000 such ports, an object and a text each)
const NO_HOST_SEEN: PortBackend = { backend: 'unknown', evidence: 'no binding:host_id (only admins see bindings)' };
const NOT_BOUND: PortBackend = { backend: 'unknown', evidence: 'not bound to a host' };

/**
 * One port's backend: its binding first (what its node was bound with), else the agents on its
 * host when they agree; a disagreement is kept in the evidence.
 */
function portBackend(p: SnapshotPort, agentsOnHost: readonly SnapshotAgent[]): PortBackend {
  const host = p['binding:host_id'];
  const said = agentsOnHost.flatMap((a) => agentBackend(a) ?? []);
  const byAgents = [...new Set(said.map((s) => s.backend))];
  const agentsText = said.map((s) => s.says).join(', ');
  const binding = bindingBackend(p);
  if (binding?.backend) {
    const other = said.find((s) => s.backend !== null && s.backend !== binding.backend);
    const agree = said.find((s) => s.backend === binding.backend);
    return {
      backend: binding.backend,
      evidence: `${binding.says}${agree ? `; ${agree.says}` : ''}${other ? `; the binding decides over ${other.says}` : ''}`,
    };
  }
  if (!host && !binding) return host === undefined ? NO_HOST_SEEN : NOT_BOUND;
  const lead = binding ? `${binding.says}; ` : '';
  if (!host) return { backend: 'unknown', evidence: `${lead}${host === undefined ? NO_HOST_SEEN.evidence : NOT_BOUND.evidence}` };
  if (byAgents.length === 1 && byAgents[0] !== null) return { backend: byAgents[0], evidence: `${lead}${agentsText}` };
  if (said.length) return { backend: 'unknown', evidence: `${lead}the agents on host ${host} do not agree on one firewall: ${agentsText}` };
  return { backend: 'unknown', evidence: `${lead}no agent of host ${host} names a firewall` };
}

/** Each port's backend, one port at a time. `agents`: what the agents API gave, null when it could not be read. */
export function portBackendOf(agents: readonly SnapshotAgent[] | null): (p: SnapshotPort) => PortBackend {
  const byHost = new Map<string, SnapshotAgent[]>();
  for (const a of agents ?? []) {
    const list = byHost.get(a.host);
    if (list) list.push(a);
    else byHost.set(a.host, [a]);
  }
  return (p) => portBackend(p, byHost.get(p['binding:host_id'] ?? '') ?? []);
}

/** Every port's backend (`how`: how the agents were read, or why not). */
export function portBackends(ports: readonly SnapshotPort[], agents: readonly SnapshotAgent[] | null, how: string): SnapshotBackends {
  const backendOf = portBackendOf(agents);
  const out: Record<string, PortBackend> = {};
  for (const p of ports) out[p.id] = backendOf(p);
  return { agents: how, ports: out };
}

/** The agents of an answer or a file, checked. */
export const parseAgents = (value: unknown, where: string): SnapshotAgent[] => checked(z.array(agentShape), value, where, 'agents');
