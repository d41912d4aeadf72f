/**
 * The kernel state portsec owns on a compute node, per family: the filter and
 * raw tables (chains with their rules, as iptables-save prints them) and the
 * ipsets. Both the full compile and the incremental deltas produce it.
 */
import { type Family } from '../../policy/ir.js';

export type TableName = 'raw' | 'filter';
export const TABLES: TableName[] = ['raw', 'filter'];

export const BUILTIN: Record<TableName, string[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** chain name → rules (without "-A chain"); built-in chains included */
export type Table = Map<string, string[]>;

export interface IpSet {
  family: Family;
  /** ipset's own text for each entry: a /0 is stored as its two /1 halves */
  members: string[];
}

export interface NodeState {
  tables: Record<Family, Record<TableName, Table>>;
  ipsets: Map<string, IpSet>;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Built-in chains in their fixed order, then ours sorted: iptables-save's (and golden's) order. */
export function chainOrder(table: TableName, chains: Iterable<string>): string[] {
  const builtin = BUILTIN[table];
  return [...builtin, ...[...chains].filter((c) => !builtin.includes(c)).sort(byName)];
}

/** iptables-save text of one family (no header comments). */
export function saveText(state: NodeState, family: Family): string {
  const out: string[] = [];
  for (const t of TABLES) {
    const table = state.tables[family][t];
    // a table portsec never wrote is not there at all
    if (!table.size) continue;
    const order = chainOrder(t, table.keys());
    out.push(`*${t}`);
    for (const c of order) out.push(`:${c} ${BUILTIN[t].includes(c) ? 'ACCEPT' : '-'} [0:0]`);
    for (const c of order) {
      const rules = table.get(c);
      // one join per chain: V8 builds the block natively instead of a string per rule
      if (rules?.length) out.push(`-A ${c} ${rules.join(`\n-A ${c} `)}`);
    }
    out.push('COMMIT');
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/** `ipset restore` text: sets by name, members in address order. */
export function ipsetText(state: NodeState, memberOrder: (a: string, b: string) => number): string {
  const lines: string[] = [];
  for (const name of [...state.ipsets.keys()].sort(byName)) {
    const s = state.ipsets.get(name)!;
    lines.push(`create ${name} hash:net family ${s.family === 'IPv4' ? 'inet' : 'inet6'}`);
    for (const m of [...new Set(s.members)].sort(memberOrder)) lines.push(`add ${name} ${m}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
