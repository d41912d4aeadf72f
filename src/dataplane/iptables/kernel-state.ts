/**
 * The state a compute node's kernel actually holds, read back (iptables-save,
 * ipset save), and the delta that brings it to the compiled state. Both sides
 * are compared in the kernel's own spelling (a /0 prefix vanishes, host bits
 * are cleared, MACs are lower case, /32 members lose their mask), so a rule the
 * kernel rewrote is not mistaken for a change and re-written on every pass.
 */
import { type Delta, type TableDelta } from '../../backends/iptables/delta.js';
import { kernelMember, kernelRule } from '../../backends/iptables/kernel-spelling.js';
import { BUILTIN, type IpSet, type NodeState, type Table, type TableName, TABLES } from '../../backends/iptables/state.js';
import { FAMILIES } from '../../policy/ir.js';
import { run } from '../exec.js';
import { GUARD_PREFIX } from './fail-closed.js';
import { type IptablesBackend, iptablesTool } from './tools.js';


/** Chains portsec owns in a compute node: the built-ins, Neutron's and the data plane's guard (fail-closed.ts). */
const owned = (table: TableName, chain: string) => BUILTIN[table].includes(chain) || chain.startsWith('neutron-') || chain.startsWith(GUARD_PREFIX);

function parseSave(text: string): Record<TableName, Table> {
  const tables = { raw: new Map(), filter: new Map() } as Record<TableName, Table>;
  let table: TableName | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) table = TABLES.includes(line.slice(1) as TableName) ? (line.slice(1) as TableName) : undefined;
    if (!table) continue;
    // a built-in chain's policy is not part of the state: FORWARD's is the data plane's (fail-closed.ts)
    if (line.startsWith(':')) {
      const chain = line.slice(1).split(' ')[0];
      if (owned(table, chain)) tables[table].set(chain, []);
    } else if (line.startsWith('-A ')) {
      const [chain, ...rest] = line.slice(3).split(' ');
      tables[table].get(chain)?.push(rest.join(' '));
    }
  }
  return tables;
}

function parseIpsets(text: string): Map<string, IpSet> {
  const sets = new Map<string, IpSet>();
  for (const line of text.split('\n')) {
    const [op, name, ...rest] = line.split(' ');
    if (op === 'create' && name.startsWith('N')) sets.set(name, { family: rest.includes('inet6') ? 'IPv6' : 'IPv4', members: [] });
    if (op === 'add') sets.get(name)?.members.push(rest[0]);
  }
  return sets;
}

export function readKernelState(ns: string, backend: IptablesBackend): NodeState {
  return {
    tables: { IPv4: parseSave(run([iptablesTool(backend, 'IPv4', 'save')], { ns })), IPv6: parseSave(run([iptablesTool(backend, 'IPv6', 'save')], { ns })) },
    ipsets: parseIpsets(run(['ipset', 'save'], { ns })),
  };
}

function diffTable(actual: Table, desired: Table): TableDelta {
  const write = new Map<string, string[]>();
  for (const [chain, rules] of desired) {
    const have = actual.get(chain);
    if (!have || have.length !== rules.length || rules.some((r, i) => kernelRule(r) !== have[i])) write.set(chain, rules);
  }
  return { write, remove: [...actual.keys()].filter((c) => !desired.has(c) && !BUILTIN.raw.includes(c) && !BUILTIN.filter.includes(c)) };
}

/** What turns the kernel's state into the compiled one. */
export function convergence(actual: NodeState, desired: NodeState): Delta {
  const iptables = {} as Delta['iptables'];
  for (const f of FAMILIES) {
    iptables[f] = {} as Record<TableName, TableDelta>;
    for (const t of TABLES) iptables[f][t] = diffTable(actual.tables[f][t], desired.tables[f][t]);
  }
  const delta: Delta = { iptables, createSets: new Map(), addMembers: new Map(), delMembers: new Map(), destroySets: [] };
  for (const [name, set] of desired.ipsets) {
    const have = actual.ipsets.get(name);
    if (!have) {
      delta.createSets.set(name, set);
      continue;
    }
    const haveKeys = new Set(have.members);
    const wantKeys = new Map(set.members.map((m) => [kernelMember(m), m]));
    const add = [...wantKeys].filter(([k]) => !haveKeys.has(k)).map(([, m]) => m);
    const del = have.members.filter((m) => !wantKeys.has(m));
    if (add.length) delta.addMembers.set(name, add);
    if (del.length) delta.delMembers.set(name, del);
  }
  for (const name of actual.ipsets.keys()) if (!desired.ipsets.has(name)) delta.destroySets.push(name);
  return delta;
}
