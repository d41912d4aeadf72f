/**
 * The iptables backend's dataplane load (root): for each golden fixture, the ipsets
 * and the iptables-restore / ip6tables-restore payloads go into a fresh ps-
 * namespace, with the nft and with the legacy backend, and the kernel then
 * holds every chain and rule (as iptables-save prints them back). Deltas of
 * the fixtures' events are applied with --noflush on top and checked the same way.
 */
import { expect } from 'vitest';
import { type IptablesNode } from '../../../src/backends/iptables/backend.js';
import { type NodeState, saveText, TABLES } from '../../../src/backends/iptables/state.js';
import { applyDelta, type IptablesBackend, loadState } from '../../../src/dataplane/iptables/kernel.js';
import { kernelRule } from '../../../src/backends/iptables/kernel-spelling.js';
import { convergence, readKernelState } from '../../../src/dataplane/iptables/kernel-state.js';
import { applyEvent, type Event, parseEvent } from '../../../src/policy/events.js';
import { FAMILIES } from '../../../src/policy/ir.js';
import { parseTopology } from '../../../src/policy/topology.js';
import { createNamespace, deleteAllNamespaces, deleteNamespace, inNamespace } from '../../support/netns.js';
import { type PlaneLoad } from '../dataplane-load.js';

/** iptables' own backends (nft and legacy), not firewall backends */
const BACKENDS = ['nft', 'legacy'] as const;
const save = (backend: string, family: string) => `${family === 'IPv4' ? 'iptables' : 'ip6tables'}-${backend}-save`;

/** Our rules per chain, from iptables-save output (only neutron chains and the builtins' jumps to them). */
function rulesBy(text: string, form: (rule: string) => string = (r) => r): string[] {
  return text.split('\n').filter((l) => l.startsWith('-A ') || (l.startsWith(':') && !l.includes('ACCEPT')))
    .map((l) => form(l.replace(/ \[\d+:\d+\]$/, ''))).sort();
}

function expectKernelHolds(ns: string, backend: IptablesBackend, state: NodeState): void {
  for (const family of FAMILIES) {
    const kernel = rulesBy(inNamespace(ns, [save(backend, family)]));
    const ours = rulesBy(saveText(state, family), kernelRule);
    expect(kernel).toEqual(ours);
  }
  const sets = inNamespace(ns, ['ipset', 'list', '-n']).split('\n').filter(Boolean).sort();
  expect(sets).toEqual([...state.ipsets.keys()].sort());
}

/** Nothing left to do: the node holds the compiled state in the kernel's own spelling. */
function expectConverged(ns: string, backend: IptablesBackend, state: NodeState): void {
  const d = convergence(readKernelState(ns, backend), state);
  for (const f of FAMILIES) for (const t of TABLES) expect([...d.iptables[f][t].write.keys(), ...d.iptables[f][t].remove]).toEqual([]);
  expect([...d.createSets.keys(), ...d.addMembers.keys(), ...d.delMembers.keys(), ...d.destroySets]).toEqual([]);
}

export const KERNEL_LOAD: PlaneLoad<IptablesNode> = {
  part: 'root',
  title: 'payloads load into a real kernel',
  variants: BACKENDS,
  cleanup: deleteAllNamespaces,
  load: (b, _f, fx, variant) => {
    const backend = variant as IptablesBackend;
    const { events = [], ...initial } = fx.input as { events?: Event[] };
    let topology = parseTopology(initial);
    const node = b.create(topology);
    const ns = createNamespace('load');
    try {
      loadState(ns, backend, node.state);
      expectKernelHolds(ns, backend, node.state);
      expectConverged(ns, backend, node.state);
      for (const raw of events) {
        const e = parseEvent(topology, raw);
        topology = applyEvent(topology, e);
        applyDelta(ns, backend, node.apply(e));
        expectKernelHolds(ns, backend, node.state);
        expectConverged(ns, backend, node.state);
      }
    } finally {
      deleteNamespace(ns);
    }
  },
};
