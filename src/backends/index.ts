/** The firewall backends by name: what the agent and the CLI construct (see contract.ts). */
import { type Topology } from '../policy/topology.js';
import { type AgentState, NeutronAgentNode } from './iptables/agent-state.js';
import { NodeCompiler } from './iptables/node-compiler.js';

export const BACKENDS = {
  /**
   * Neutron's iptables firewall drivers (linuxbridge, ovs_hybrid), with ipsets or without; after events,
   * the state a fresh sync of the topology gives (`ideal`), or what Neutron 21's agent keeps (`neutron-21`)
   */
  iptables: (t: Topology, previousZones?: Map<string, number>, agentState: AgentState = 'ideal') =>
    (agentState === 'neutron-21' ? new NeutronAgentNode(t, previousZones) : new NodeCompiler(t, previousZones)),
};

export type BackendName = keyof typeof BACKENDS;
export type Backend<N extends BackendName = BackendName> = ReturnType<(typeof BACKENDS)[N]>;

export function createBackend<N extends BackendName>(name: N, t: Topology, agentState?: AgentState): Backend<N> {
  return BACKENDS[name](t, undefined, agentState) as Backend<N>;
}
