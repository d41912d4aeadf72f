/**
 * The iptables backend as the registry builds it: after events, what Neutron 21's agent
 * keeps between its loops (agent-state.ts), or a fresh sync of the topology (node-compiler.ts).
 */
import { BACKEND_SEMANTICS } from '../../policy/neutron-backends.js';
import { type Topology, TopologyError } from '../../policy/topology.js';
import { NeutronAgentNode } from './agent-state.js';
import { NodeCompiler } from './node-compiler.js';

/** How it follows events; the first is what `portsec compile` compares with Neutron by default. */
export const AGENT_STATES = ['neutron-21', 'ideal'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

export type IptablesNode = NodeCompiler | NeutronAgentNode;

export function createIptablesNode(t: Topology, agentState: string = 'ideal'): IptablesNode {
  // another firewall's remote groups (OVN's, the OVS firewall's) rendered as ipsets would be neither
  if (!BACKEND_SEMANTICS[t.options.backend].iptablesDriver) throw new TopologyError(`options: backend ${t.options.backend} is not rendered by iptables (its members differ)`);
  if (agentState === 'neutron-21') return new NeutronAgentNode(t);
  if (agentState === 'ideal') return new NodeCompiler(t);
  throw new Error(`unknown agent state ${JSON.stringify(agentState)} (${AGENT_STATES.join(', ')})`);
}
