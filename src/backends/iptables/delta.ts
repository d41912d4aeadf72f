/**
 * A change of a node's kernel state, and how to apply it: chains to
 * rewrite (a chain declaration in iptables-restore --noflush flushes it), chains
 * to delete, ipset members to add or remove, sets to create or destroy. Never a
 * full reload.
 */
import { type Family, FAMILIES } from '../../policy/ir.js';
import { ipsetMemberOrder } from './render.js';
import { BUILTIN, type IpSet, type NodeState, type Table, type TableName, TABLES } from './state.js';

export interface TableDelta {
  /** chains to (re)write with their full new contents */
  write: Map<string, string[]>;
  /** chains to delete */
  remove: string[];
}

export interface Delta {
  iptables: Record<Family, Record<TableName, TableDelta>>;
  /** new sets with their members */
  createSets: Map<string, IpSet>;
  addMembers: Map<string, string[]>;
  delMembers: Map<string, string[]>;
  destroySets: string[];
}

/** The state a node reaches from `prev` once `delta` is applied (what the kernel does with the payloads). */
export function applyDelta(prev: NodeState, d: Delta): NodeState {
  const tables = {} as NodeState['tables'];
  for (const f of FAMILIES) {
    tables[f] = {} as Record<TableName, Table>;
    for (const t of TABLES) {
      const table = new Map(prev.tables[f][t]);
      for (const [c, rules] of d.iptables[f][t].write) table.set(c, rules);
      for (const c of d.iptables[f][t].remove) table.delete(c);
      tables[f][t] = table;
    }
  }
  const ipsets = new Map(prev.ipsets);
  for (const [n, s] of d.createSets) ipsets.set(n, s);
  for (const [n, add] of d.addMembers) ipsets.set(n, { ...ipsets.get(n)!, members: [...ipsets.get(n)!.members, ...add] });
  for (const [n, del] of d.delMembers) {
    const gone = new Set(del);
    ipsets.set(n, { ...ipsets.get(n)!, members: ipsets.get(n)!.members.filter((m) => !gone.has(m)) });
  }
  for (const n of d.destroySets) ipsets.delete(n);
  return { tables, ipsets };
}

/** The delta from one state of a node to another, both in this backend's spelling: chains that differ, sets and members. */
export function stateDelta(prev: NodeState, next: NodeState): Delta {
  const iptables = {} as Delta['iptables'];
  for (const f of FAMILIES) {
    iptables[f] = {} as Record<TableName, TableDelta>;
    for (const t of TABLES) {
      const before = prev.tables[f][t];
      const after = next.tables[f][t];
      const write = new Map([...after].filter(([c, rules]) => !same(before.get(c), rules)));
      iptables[f][t] = { write, remove: [...before.keys()].filter((c) => !after.has(c)) };
    }
  }
  const d: Delta = { iptables, createSets: new Map(), addMembers: new Map(), delMembers: new Map(), destroySets: [] };
  for (const [name, set] of next.ipsets) {
    const had = prev.ipsets.get(name);
    if (!had) {
      d.createSets.set(name, set);
      continue;
    }
    const before = new Set(had.members);
    const after = new Set(set.members);
    const add = [...after].filter((m) => !before.has(m)).sort(ipsetMemberOrder);
    const del = [...before].filter((m) => !after.has(m)).sort(ipsetMemberOrder);
    if (add.length) d.addMembers.set(name, add);
    if (del.length) d.delMembers.set(name, del);
  }
  for (const name of prev.ipsets.keys()) if (!next.ipsets.has(name)) d.destroySets.push(name);
  return d;
}

const same = (a: readonly string[] | undefined, b: readonly string[]) => !!a && a.length === b.length && a.every((r, i) => r === b[i]);

/**
 * iptables-restore --noflush payload of one family: changed chains declared
 * (which flushes them) and refilled, removed chains flushed then deleted.
 */
export function iptablesPayload(d: Delta, family: Family): string {
  const out: string[] = [];
  for (const t of TABLES) {
    const { write, remove } = d.iptables[family][t];
    if (!write.size && !remove.length) continue;
    out.push(`*${t}`);
    for (const c of write.keys()) if (!BUILTIN[t].includes(c)) out.push(`:${c} - [0:0]`);
    for (const c of remove) out.push(`:${c} - [0:0]`);
    for (const [c, rules] of write) {
      if (BUILTIN[t].includes(c)) out.push(`-F ${c}`);
      for (const r of rules) out.push(`-A ${c} ${r}`.trimEnd());
    }
    for (const c of remove) out.push(`-X ${c}`);
    out.push('COMMIT');
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/** `ipset restore -exist` input to run before iptables (new sets, members) and after (sets no longer used). */
export function ipsetPayloads(d: Delta): { before: string; after: string } {
  const before: string[] = [];
  for (const [n, s] of d.createSets) {
    before.push(`create ${n} hash:net family ${s.family === 'IPv4' ? 'inet' : 'inet6'}`);
    for (const m of [...new Set(s.members)].sort(ipsetMemberOrder)) before.push(`add ${n} ${m}`);
  }
  for (const [n, add] of d.addMembers) for (const m of add) before.push(`add ${n} ${m}`);
  for (const [n, del] of d.delMembers) for (const m of del) before.push(`del ${n} ${m}`);
  const after = d.destroySets.map((n) => `destroy ${n}`);
  const text = (l: string[]) => (l.length ? `${l.join('\n')}\n` : '');
  return { before: text(before), after: text(after) };
}
