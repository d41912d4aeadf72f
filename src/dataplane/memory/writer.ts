/**
 * `portsec serve --agents model`: the iptables backend's node writer without a kernel.
 * Each node is a NodeState in memory that the agent's deltas are applied to, as the
 * kernel writer applies them to a namespace: the agents follow the store's change log
 * exactly as they do on real nodes, and what they enforce can be read without root.
 */
import { type NodeWriter } from '../../backends/contract.js';
import { type IptablesNode } from '../../backends/iptables/backend.js';
import { applyDelta, type Delta, stateDelta } from '../../backends/iptables/delta.js';
import { emptyState, type NodeState } from '../../backends/iptables/state.js';

export function memoryWriter(): NodeWriter<NodeState, Delta, IptablesNode> {
  const nodes = new Map<string, NodeState>();
  const held = (node: string) => nodes.get(node) ?? emptyState();
  return {
    take: (node) => {
      if (!nodes.has(node)) nodes.set(node, emptyState());
    },
    apply: (node, delta) => {
      nodes.set(node, applyDelta(held(node), delta));
    },
    readBack: held,
    converge: (node, desired) => {
      const delta = stateDelta(held(node), desired);
      // the node reaches `desired` through the delta, holding no reference to the backend's own state
      nodes.set(node, applyDelta(held(node), delta));
      return delta;
    },
  };
}
