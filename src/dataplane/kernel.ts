/**
 * Loading the compiler's output into a compute node's namespace: the full state
 * once (ipset restore, then iptables-restore per family), and afterwards only
 * deltas (new sets and members first, chain rewrites with --noflush in one
 * atomic restore per family, unused sets last). Two or three spawns per change.
 */
import { type Delta, iptablesPayload, ipsetPayloads } from '../backends/iptables/delta.js';
import { ipsetMemberOrder } from '../backends/iptables/render.js';
import { ipsetText, type NodeState, saveText } from '../backends/iptables/state.js';
import { type Family, FAMILIES } from '../policy/ir.js';
import { run } from './exec.js';
import { convergence, readKernelState } from './kernel-state.js';

export type IptablesBackend = 'nft' | 'legacy';

const restoreCommand = (backend: IptablesBackend, family: Family) => `${family === 'IPv4' ? 'iptables' : 'ip6tables'}-${backend}-restore`;

export function loadState(ns: string, backend: IptablesBackend, state: NodeState): void {
  const sets = ipsetText(state, ipsetMemberOrder);
  if (sets) run(['ipset', 'restore', '-exist'], { ns, input: sets });
  // without --noflush: the node's filter and raw tables become exactly the compiled ones
  for (const family of FAMILIES) run([restoreCommand(backend, family)], { ns, input: saveText(state, family) });
}

export function applyDelta(ns: string, backend: IptablesBackend, d: Delta): void {
  const sets = ipsetPayloads(d);
  if (sets.before) run(['ipset', 'restore', '-exist'], { ns, input: sets.before });
  for (const family of FAMILIES) {
    const payload = iptablesPayload(d, family);
    if (payload) run([restoreCommand(backend, family), '--noflush'], { ns, input: payload });
  }
  if (sets.after) run(['ipset', 'restore', '-exist'], { ns, input: sets.after });
}

/** Reads what the kernel holds and applies only what differs from `desired`; returns that delta. */
export function converge(ns: string, backend: IptablesBackend, desired: NodeState): Delta {
  const delta = convergence(readKernelState(ns, backend), desired);
  applyDelta(ns, backend, delta);
  return delta;
}
