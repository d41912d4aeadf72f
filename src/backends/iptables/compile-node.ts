/** The whole pipeline for one node: topology → IR → kernel state, and its text forms. */
import { compileHost, indexTopology } from '../../policy/compile.js';
import { type HostPolicy } from '../../policy/ir.js';
import { type MembershipIndex } from '../../policy/membership.js';
import { type Topology } from '../../policy/topology.js';
import { ipsetMemberOrder, renderNode } from './render.js';
import { ipsetText, type NodeState, saveText } from './state.js';

export interface CompiledNode {
  policy: HostPolicy;
  index: MembershipIndex;
  state: NodeState;
}

export function compileNode(t: Topology, previousZones?: Map<string, number>): CompiledNode {
  const index = indexTopology(t);
  const policy = compileHost(t, previousZones, index);
  return { policy, index, state: renderNode(policy, (g, f) => index.members(g, f)) };
}

/** The fields of golden.py's `--format json` that describe the final kernel state. */
export function goldenJson(state: NodeState): { ipset_restore: string; iptables_save: { IPv4: string; IPv6: string } } {
  return {
    ipset_restore: ipsetText(state, ipsetMemberOrder),
    iptables_save: { IPv4: saveText(state, 'IPv4'), IPv6: saveText(state, 'IPv6') },
  };
}
