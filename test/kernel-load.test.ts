/**
 * Every payload loads into a real kernel: for each golden fixture, the ipsets
 * and the iptables-restore / ip6tables-restore payloads go into a fresh ps-
 * namespace, with the nft and with the legacy backend, and the kernel then
 * holds every chain and rule (as iptables-save prints them back). Deltas of
 * the fixtures' events are applied with --noflush on top and checked the same way.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { formatNetwork, parseCidr } from '../src/model/addresses.js';
import { type Delta, iptablesPayload, ipsetPayloads } from '../src/backends/iptables/delta.js';
import { NodeCompiler } from '../src/backends/iptables/node-compiler.js';
import { ipsetMemberOrder } from '../src/backends/iptables/render.js';
import { ipsetText, type NodeState, saveText } from '../src/backends/iptables/state.js';
import { applyEvent, type Event, parseEvent } from '../src/policy/events.js';
import { FAMILIES } from '../src/policy/ir.js';
import { parseTopology } from '../src/policy/topology.js';
import { createNamespace, deleteAllNamespaces, deleteNamespace, inNamespace, isRoot } from './support/netns.js';

const DIR = join(import.meta.dirname, 'fixtures/golden');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
afterAll(deleteAllNamespaces);

const BACKENDS = ['nft', 'legacy'] as const;
const restore = (backend: string, family: string) => `${family === 'IPv4' ? 'iptables' : 'ip6tables'}-${backend}-restore`;
const save = (backend: string, family: string) => `${family === 'IPv4' ? 'iptables' : 'ip6tables'}-${backend}-save`;

/** What the kernel prints back for our rules: /0 prefixes vanish, host bits clear, MACs go lower case. */
function kernelForm(rule: string): string {
  return rule
    .replace(/ -[sd] (0\.0\.0\.0|::)\/0(?= )/g, '')
    .replace(/(--mac-source) ([0-9A-F:]+)/g, (_, f, m: string) => `${f} ${m.toLowerCase()}`)
    .replace(/ (-[sd]) ([0-9a-f.:]+\/\d+)(?= )/g, (_, f, c: string) => ` ${f} ${formatNetwork(parseCidr(c)!)}`);
}

/** Our rules per chain, from iptables-save output (only neutron chains and the builtins' jumps to them). */
function rulesBy(text: string, form: (rule: string) => string = (r) => r): string[] {
  return text.split('\n').filter((l) => l.startsWith('-A ') || (l.startsWith(':') && !l.includes('ACCEPT')))
    .map((l) => form(l.replace(/ \[\d+:\d+\]$/, ''))).sort();
}

function expectKernelHolds(ns: string, backend: string, state: NodeState): void {
  for (const family of FAMILIES) {
    const kernel = rulesBy(inNamespace(ns, [save(backend, family)]));
    const ours = rulesBy(saveText(state, family), kernelForm);
    expect(kernel).toEqual(ours);
  }
  const sets = inNamespace(ns, ['ipset', 'list', '-n']).split('\n').filter(Boolean).sort();
  expect(sets).toEqual([...state.ipsets.keys()].sort());
}

function loadFull(ns: string, backend: string, state: NodeState): void {
  inNamespace(ns, ['ipset', 'restore', '-exist'], ipsetText(state, ipsetMemberOrder));
  for (const family of FAMILIES) inNamespace(ns, [restore(backend, family)], saveText(state, family));
}

function loadDelta(ns: string, backend: string, d: Delta): void {
  const ipset = ipsetPayloads(d);
  if (ipset.before) inNamespace(ns, ['ipset', 'restore', '-exist'], ipset.before);
  for (const family of FAMILIES) {
    const payload = iptablesPayload(d, family);
    if (payload) inNamespace(ns, [restore(backend, family), '--noflush'], payload);
  }
  if (ipset.after) inNamespace(ns, ['ipset', 'restore', '-exist'], ipset.after);
}

describe.skipIf(!isRoot())('payloads load into a real kernel', () => {
  describe.each(BACKENDS)('%s backend', (backend) => {
    test.each(files)('%s', (file) => {
      const fx = JSON.parse(readFileSync(join(DIR, file), 'utf8'));
      const { events = [], ...initial } = fx.input as { events?: Event[] };
      let topology = parseTopology(initial);
      const node = new NodeCompiler(topology);
      const ns = createNamespace('load');
      try {
        loadFull(ns, backend, node.state);
        expectKernelHolds(ns, backend, node.state);
        for (const raw of events) {
          const e = parseEvent(topology, raw);
          topology = applyEvent(topology, e);
          loadDelta(ns, backend, node.apply(e));
          expectKernelHolds(ns, backend, node.state);
        }
      } finally {
        deleteNamespace(ns);
      }
    });
  });
});
