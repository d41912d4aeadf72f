/** The text forms of a node's kernel state. */
import { ipsetMemberOrder } from './render.js';
import { ipsetText, type NodeState, saveText } from './state.js';

/** The fields of golden.py's `--format json` that describe the final kernel state. */
export function goldenJson(state: NodeState): { ipset_restore: string; iptables_save: { IPv4: string; IPv6: string } } {
  return {
    ipset_restore: ipsetText(state, ipsetMemberOrder),
    iptables_save: { IPv4: saveText(state, 'IPv4'), IPv6: saveText(state, 'IPv6') },
  };
}
