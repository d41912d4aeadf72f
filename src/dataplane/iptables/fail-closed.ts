/**
 * Fail closed: a port's traffic is never forwarded while its chains are
 * missing or half-written. Neutron's chains alone do not promise that: a
 * packet between a tap they know and one they do not (plugged before its
 * chains, or left plugged after its port went) is accepted at the end of the
 * sg-chain on the known side's word, and one between two unknown taps falls to
 * the FORWARD policy, which Neutron leaves ACCEPT. The compiler renders
 * Neutron's tables byte for byte; the data plane adds its own part around them:
 *
 * - FORWARD's policy is DROP in both families, set when the agent takes the
 *   node, before any chain exists. Deltas never declare built-in chains, so
 *   they keep it; reading the kernel back ignores policies.
 * - FORWARD first jumps to `portsec-guard`, which knows the taps Neutron's
 *   FORWARD chain names: a packet from or to any other tap is dropped; one with
 *   no tap at either end (a router's uplink, a VXLAN tunnel) is accepted, as
 *   Neutron's ACCEPT policy would; the rest goes on to Neutron's chains. The
 *   guard is derived from Neutron's FORWARD chain and written in the same
 *   restore, so the two change in one commit and never disagree.
 */
import { type Delta, type TableDelta } from '../../backends/iptables/delta.js';
import { TAP_PREFIX } from '../../backends/iptables/naming.js';
import { type NodeState, type Table } from '../../backends/iptables/state.js';
import { FAMILIES } from '../../policy/ir.js';
import { run } from '../exec.js';
import { BACKENDS, type IptablesBackend, iptablesTool } from './tools.js';

const POLICY = 'DROP';
/** the data plane's chains carry this prefix (Neutron's carry "neutron-") */
export const GUARD_PREFIX = 'portsec-';
export const GUARD = `${GUARD_PREFIX}guard`;
const GUARD_TO = `${GUARD_PREFIX}guard-to`;
const JUMP = `-j ${GUARD}`;

/** Neutron's chain that FORWARD hands the ports' traffic to (neutron-linuxbri-FORWARD). */
const isNeutronForward = (chain: string) => /^neutron-[a-z]+-FORWARD$/.test(chain);

// in iptables-save's own spelling, so that reading them back finds nothing to converge
const from = (tap: string) => `-m physdev --physdev-in ${tap} --physdev-is-bridged`;
const to = (tap: string) => `-m physdev --physdev-out ${tap} --physdev-is-bridged`;
const ANY_TAP = `${TAP_PREFIX}+`;
/** the guard's rule for bridged traffic with no tap at either end */
export const NO_PORT_RULE = `-m physdev ! --physdev-out ${ANY_TAP} --physdev-is-bridged -j ACCEPT`;

/** The taps Neutron's FORWARD chain names: the ports whose chains are in the same table. */
function knownTaps(neutronForward: string[]): string[] {
  const taps = neutronForward.flatMap((r) => [...r.matchAll(/--physdev-(?:in|out) (\S+)/g)].map((m) => m[1]));
  return [...new Set(taps.filter((t) => t.startsWith(TAP_PREFIX)))].sort();
}

/** The guard's chains for these taps: from a known tap, or from no tap to some tap, the destination is checked too. */
function guardChains(taps: string[]): [string, string[]][] {
  return [
    [GUARD, [
      ...taps.map((t) => `${from(t)} -g ${GUARD_TO}`),
      `${from(ANY_TAP)} -j DROP`,
      NO_PORT_RULE,
      `-g ${GUARD_TO}`,
    ]],
    [GUARD_TO, [...taps.map((t) => `${to(t)} -j RETURN`), `${to(ANY_TAP)} -j DROP`]],
  ];
}

/** Closes the node's FORWARD chain in both families: nothing is forwarded until the guard and Neutron's chains say so. */
export function closeNode(ns: string, backend: IptablesBackend): void {
  for (const family of FAMILIES) run([iptablesTool(backend, family), '-P', 'FORWARD', POLICY], { ns });
}

/** Whether the node's FORWARD policy is the data plane's in both families of this backend. */
export function isClosed(ns: string, backend: IptablesBackend): boolean {
  return FAMILIES.every((family) => run([iptablesTool(backend, family, 'save')], { ns }).includes(`\n:FORWARD ${POLICY} [`));
}

/** The backend a node's agent loads its tables with: the one holding its closed policy (undefined before an agent took the node). */
export const nodeBackend = (ns: string): IptablesBackend | undefined => BACKENDS.find((b) => isClosed(ns, b));

/** The data plane's part of one filter table, written into `chains`, from Neutron's FORWARD chain as it is after this write. */
function guard(chains: Map<string, string[]>, neutronForward: string[] | undefined, forward: string[] | undefined): void {
  if (forward) chains.set('FORWARD', [JUMP, ...forward]);
  if (neutronForward) for (const [chain, rules] of guardChains(knownTaps(neutronForward))) chains.set(chain, rules);
}

/** What a node holds for a compiled state: Neutron's tables and the data plane's guard. */
export function nodeState(compiled: NodeState): NodeState {
  const tables = {} as NodeState['tables'];
  for (const family of FAMILIES) {
    const filter: Table = new Map(compiled.tables[family].filter);
    const neutronForward = [...filter].find(([c]) => isNeutronForward(c))?.[1];
    guard(filter, neutronForward ?? [], filter.get('FORWARD') ?? []);
    tables[family] = { ...compiled.tables[family], filter };
  }
  return { ...compiled, tables };
}

/** A compiled delta as the node applies it: rewrites of FORWARD keep the jump, of Neutron's FORWARD chain bring the guard along. */
export function nodeDelta(d: Delta): Delta {
  const iptables = {} as Delta['iptables'];
  for (const family of FAMILIES) {
    const filter: TableDelta = d.iptables[family].filter;
    const neutronForward = [...filter.write].find(([c]) => isNeutronForward(c))?.[1] ?? (filter.remove.some(isNeutronForward) ? [] : undefined);
    const forward = filter.write.get('FORWARD');
    if (!neutronForward && !forward) {
      iptables[family] = d.iptables[family];
      continue;
    }
    const write = new Map(filter.write);
    guard(write, neutronForward, forward);
    iptables[family] = { ...d.iptables[family], filter: { ...filter, write } };
  }
  return { ...d, iptables };
}
