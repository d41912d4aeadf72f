/**
 * Loading the compiler's output into a compute node's namespace: the full state
 * once (ipset restore, then iptables-restore per family), and afterwards only
 * deltas (new sets and members first, chain rewrites with --noflush in one
 * atomic restore per family, unused sets last). Two or three spawns per change.
 */
import { type Delta, iptablesPayload, ipsetPayloads } from '../../backends/iptables/delta.js';
import { ipsetMemberOrder } from '../../backends/iptables/render.js';
import { ipsetText, type NodeState, saveText } from '../../backends/iptables/state.js';
import { FAMILIES } from '../../policy/ir.js';
import { run } from '../exec.js';
import { type IptablesBackend, iptablesTool } from './tools.js';
import { convergence, readKernelState } from './kernel-state.js';

export type { IptablesBackend } from './tools.js';

/**
 * Makes a namespace's tables exactly `state`, policies included (the payload
 * declares them ACCEPT, as Neutron's): for loading payloads as they are, not for
 * a compute node, whose FORWARD policy is the data plane's (see fail-closed.ts).
 */
export function loadState(ns: string, backend: IptablesBackend, state: NodeState): void {
  const sets = ipsetText(state, ipsetMemberOrder);
  if (sets) run(['ipset', 'restore', '-exist'], { ns, input: sets });
  for (const family of FAMILIES) run([iptablesTool(backend, family, 'restore')], { ns, input: saveText(state, family) });
}

/** One command of a delta's application, with its standard input. */
export interface Step {
  argv: string[];
  input: string;
}

/**
 * The commands that apply a delta, in order: new sets and members, then each
 * family's chain rewrites (one restore, committed per table: a chain is never
 * seen half-written), then the sets no longer used. An agent killed between two
 * steps leaves the sets ahead of the chains, never the other way round.
 */
export function deltaSteps(backend: IptablesBackend, d: Delta): Step[] {
  const sets = ipsetPayloads(d);
  const steps: Step[] = [];
  if (sets.before) steps.push({ argv: ['ipset', 'restore', '-exist'], input: sets.before });
  for (const family of FAMILIES) {
    const payload = iptablesPayload(d, family);
    if (payload) steps.push({ argv: [iptablesTool(backend, family, 'restore'), '--noflush'], input: payload });
  }
  if (sets.after) steps.push({ argv: ['ipset', 'restore', '-exist'], input: sets.after });
  return steps;
}

export function applyDelta(ns: string, backend: IptablesBackend, d: Delta): void {
  for (const step of deltaSteps(backend, d)) run(step.argv, { ns, input: step.input });
}

/** Reads what the kernel holds and applies only what differs from `desired`; returns that delta. */
export function converge(ns: string, backend: IptablesBackend, desired: NodeState): Delta {
  const delta = convergence(readKernelState(ns, backend), desired);
  applyDelta(ns, backend, delta);
  return delta;
}
