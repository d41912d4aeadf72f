/** The firewall backends by name: what the agent, the CLI and the analyzer reach them by (see contract.ts). */
import { type BackendEntry } from './contract.js';
import { AGENT_STATES, createIptablesNode, type IptablesNode } from './iptables/backend.js';
import { FORMATS, summary } from './iptables/formats.js';
import { matchedProtocol } from './iptables/rule-args.js';
import * as ovs from './openvswitch/entry.js';
import * as ovn from './ovn/entry.js';
import { BACKEND_SEMANTICS, type NeutronBackend } from '../policy/neutron-backends.js';
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
  /**
   * Neutron's openvswitch firewall (OVSFirewallDriver): the OpenFlow flows on br-int, the node's ofports,
   * local VLANs and cookie as OVSDB facts; after events, a fresh sync of the topology (`ideal`) only
   */
  openvswitch: ovs.ENTRY,
  /** Neutron's ML2/OVN driver: the Northbound rows it writes (every port, wherever bound); after events, the end topology's */
  ovn: ovn.ENTRY,
};

export type BackendName = keyof typeof BACKENDS;
export type Backend<N extends BackendName = BackendName> = ReturnType<(typeof BACKENDS)[N]['create']>;

/** The backend the agents run: the one whose enforcement the analyzer answers for. */
export const DEFAULT_BACKEND = 'iptables' satisfies BackendName;

export function createBackend<N extends BackendName>(name: N, t: Topology, agentState?: string): Backend<N> {
  return BACKENDS[name].create(t, agentState) as Backend<N>;
}

/** The registry's backend that renders a Neutron firewall (both iptables drivers are `iptables`), if one does. */
export function rendererOf(backend: NeutronBackend): BackendName | undefined {
  if (BACKEND_SEMANTICS[backend].iptablesDriver) return 'iptables';
  return Object.hasOwn(BACKENDS, backend) ? (backend as BackendName) : undefined;
}
