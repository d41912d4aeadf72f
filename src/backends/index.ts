/** The firewall backends by name: what the agent, the CLI and the analyzer reach them by (see contract.ts). */
import { type BackendEntry } from './contract.js';
import { AGENT_STATES, createIptablesNode, type IptablesNode } from './iptables/backend.js';
import { FORMATS, summary } from './iptables/formats.js';
import { matchedProtocol } from './iptables/rule-args.js';
import { AGENT_STATES as OVN_AGENT_STATES, createOvnNorthbound, type OvnNorthbound } from './ovn/backend.js';
import { FORMATS as OVN_FORMATS, summary as ovnSummary } from './ovn/formats.js';
import { ovnProtocol } from './ovn/protocol.js';
import { type Topology } from '../policy/topology.js';

export const BACKENDS = {
  /**
   * Neutron's iptables firewall drivers (linuxbridge, ovs_hybrid), with ipsets or without; after events,
   * what Neutron 21's agent keeps (`neutron-21`) or a fresh sync of the topology (`ideal`)
   */
  iptables: {
    agentStates: AGENT_STATES,
    create: (t: Topology, agentState?: string) => createIptablesNode(t, agentState),
    matchedProtocol,
    formats: FORMATS,
    summary,
  } satisfies BackendEntry<IptablesNode>,
  /** Neutron's ML2/OVN driver: the Northbound rows it writes (every port, wherever bound); after events, the end topology's */
  ovn: {
    agentStates: OVN_AGENT_STATES,
    create: (t: Topology, agentState?: string) => createOvnNorthbound(t, agentState),
    matchedProtocol: ovnProtocol,
    formats: OVN_FORMATS,
    summary: ovnSummary,
  } satisfies BackendEntry<OvnNorthbound>,
};

export type BackendName = keyof typeof BACKENDS;
export type Backend<N extends BackendName = BackendName> = ReturnType<(typeof BACKENDS)[N]['create']>;

/** The backend the agents run: the one whose enforcement the analyzer answers for. */
export const DEFAULT_BACKEND = 'iptables' satisfies BackendName;

/** The backend that renders a topology's Neutron backend (both iptables drivers are iptables'). */
export const backendFor = (t: Topology): BackendName => (t.options.backend in BACKENDS ? (t.options.backend as BackendName) : DEFAULT_BACKEND);

export function createBackend<N extends BackendName>(name: N, t: Topology, agentState?: string): Backend<N> {
  return BACKENDS[name].create(t, agentState) as Backend<N>;
}
