/**
 * The iptables backend's node writer (backends/contract.ts): Neutron's tables with
 * the data plane's guard around them (fail-closed.ts), loaded with one flavour of the
 * tools (kernel.ts), and after a change the tracked connections it revoked ended
 * (conntrack.ts).
 */
import { type NodeWriter } from '../../backends/contract.js';
import { type Delta, iptablesPayload } from '../../backends/iptables/delta.js';
import { type IptablesNode } from '../../backends/iptables/backend.js';
import { type NodeState } from '../../backends/iptables/state.js';
import { FAMILIES, type Family, type PortPolicy } from '../../policy/ir.js';
import { deleteConnection, listConnections, revokedConnections } from './conntrack.js';
import { closeNode, nodeDelta, nodeState } from './fail-closed.js';
import { applyDelta, converge } from './kernel.js';
import { readKernelState } from './kernel-state.js';
import { type IptablesBackend } from './tools.js';

/** Only chain rewrites and removed members or sets can take access away; added members cannot. */
const mayRevoke = (d: Delta): boolean => d.delMembers.size > 0 || d.destroySets.length > 0 || FAMILIES.some((f) => iptablesPayload(d, f) !== '');

/** Ends the tracked connections the policy now in force no longer admits. */
function cutRevoked(ns: string, firewall: IptablesNode, before: readonly PortPolicy[]): void {
  const { engine } = firewall;
  const policy = {
    ports: engine.localPolicies(), members: (g: string, f: Family) => engine.membersOf(g, f), enableIpset: engine.topology.options.enableIpset,
    zoneOf: (pp: PortPolicy) => firewall.zoneOf(pp),
  };
  for (const c of revokedConnections(listConnections(ns), before, policy)) deleteConnection(ns, c);
}

export const iptablesWriter = (tools: IptablesBackend): NodeWriter<NodeState, Delta, IptablesNode> => ({
  take: (ns) => closeNode(ns, tools),
  apply: (ns, d) => applyDelta(ns, tools, nodeDelta(d)),
  readBack: (ns) => readKernelState(ns, tools),
  converge: (ns, desired) => converge(ns, tools, nodeState(desired)),
  settle: (ns, firewall, before, deltas) => {
    if (deltas.some(mayRevoke)) cutRevoked(ns, firewall, before);
  },
});
