/**
 * The kernel state portsec owns on a compute node, per family: the filter and
 * raw tables (chains with their rules, as iptables-save prints them) and the
 * ipsets. Both the full compile and the incremental deltas produce it; the
 * writers here turn it into iptables-save and ipset restore text.
 */
import { type Family, FAMILIES } from '../../policy/ir.js';
import { type CompileOptions } from '../../policy/topology.js';

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

/** A node with nothing written yet. */
const IPV4_ONLY: readonly Family[] = ['IPv4'];

/** The families a node has tables for: IptablesManager keeps no ip6tables on a host without IPv6. */
export const tableFamilies = (options: CompileOptions): readonly Family[] => (options.useIpv6 ? FAMILIES : IPV4_ONLY);

export const emptyState = (): NodeState => ({ tables: { IPv4: { raw: new Map(), filter: new Map() }, IPv6: { raw: new Map(), filter: new Map() } }, ipsets: new Map() });

/** A table as the writers read it: its chains in iptables-save order, and each chain's rules when asked. */
export interface OrderedTable {
  chains: readonly string[];
  rules(index: number): readonly string[];
}

/** One family's tables; a table portsec never wrote is not there at all. */
export type FamilyTables = Partial<Record<TableName, OrderedTable>>;

/** What the payload writers read: a node's ipsets and, per family, its tables. */
export interface KernelSource {
  readonly ipsets: ReadonlyMap<string, IpSet>;
  tables(family: Family): FamilyTables;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Built-in chains in their fixed order, then ours sorted: iptables-save's (and golden's) order. */
export function chainOrder(table: TableName, chains: Iterable<string>): string[] {
  const builtin = BUILTIN[table];
  return [...builtin, ...[...chains].filter((c) => !builtin.includes(c)).sort(byName)];
}

/** A state's tables of one family, in iptables-save order. */
export function orderedTables(state: NodeState, family: Family): FamilyTables {
  const out: FamilyTables = {};
  for (const t of TABLES) {
    const table = state.tables[family][t];
    if (!table.size) continue;
    const chains = chainOrder(t, table.keys());
    out[t] = { chains, rules: (i) => table.get(chains[i]) ?? [] };
  }
  return out;
}

/** Tables as plain maps (every table there, empty when never written). */
export function materialize(tables: FamilyTables): Record<TableName, Table> {
  const out = { raw: new Map(), filter: new Map() } as Record<TableName, Table>;
  for (const t of TABLES) {
    const table = tables[t];
    if (table) table.chains.forEach((c, i) => out[t].set(c, [...table.rules(i)]));
  }
  return out;
}

/** Text is handed on in flat pieces of about this many characters: a 25 MB payload never sits in memory whole. */
const CHUNK = 1 << 16;

/** Gathers pieces of text and hands them on joined, in chunks. */
export class ChunkWriter {
  /**
   * refilled from the start after each chunk, never emptied: an array emptied and grown
   * again to thousands of pieces for each chunk was a fifth of a large compile's garbage
   */
  private readonly parts: string[] = [];
  private count = 0;
  private size = 0;

  constructor(private readonly emit: (chunk: string) => void) {}

  push(text: string): void {
    this.parts[this.count++] = text;
    this.size += text.length;
    if (this.size >= CHUNK) this.flush();
  }

  /** `prefix` + rule + newline for each rule (one chain's lines). */
  lines(prefix: string, rules: readonly string[]): void {
    const { parts } = this;
    for (const r of rules) {
      parts[this.count++] = prefix;
      parts[this.count++] = r;
      parts[this.count++] = '\n';
      this.size += prefix.length + r.length + 1;
      if (this.size >= CHUNK) this.flush();
    }
  }

  flush(): void {
    if (!this.count) return;
    this.parts.length = this.count;
    this.emit(this.parts.join(''));
    this.count = 0;
    this.size = 0;
  }
}

/** Collects what a writer emits into one string (small payloads, tests). */
export function textOf(write: (w: ChunkWriter) => void): string {
  const chunks: string[] = [];
  const w = new ChunkWriter((c) => chunks.push(c));
  write(w);
  w.flush();
  return chunks.join('');
}

/** iptables-save text of one family's tables (no header comments). */
export function writeTables(tables: FamilyTables, w: ChunkWriter): void {
  for (const t of TABLES) {
    const table = tables[t];
    if (!table) continue;
    w.push(`*${t}\n`);
    for (const c of table.chains) {
      w.push(':');
      w.push(c);
      w.push(BUILTIN[t].includes(c) ? ' ACCEPT [0:0]\n' : ' - [0:0]\n');
    }
    table.chains.forEach((c, i) => w.lines(['-A ', c, ' '].join(''), table.rules(i)));
    w.push('COMMIT\n');
  }
}

export const saveText = (state: NodeState, family: Family): string => textOf((w) => writeTables(orderedTables(state, family), w));

/** `ipset restore` text: sets by name, members in address order, once each. */
export function writeIpsets(ipsets: ReadonlyMap<string, IpSet>, memberOrder: (a: string, b: string) => number, w: ChunkWriter): void {
  for (const name of [...ipsets.keys()].sort(byName)) {
    const s = ipsets.get(name)!;
    w.push(`create ${name} hash:net family ${s.family === 'IPv4' ? 'inet' : 'inet6'}\n`);
    w.lines(`add ${name} `, inOrder(s.members, memberOrder));
  }
}

/** Members sorted and without repeats (they mostly come in order: checked before sorting). */
function inOrder(members: string[], order: (a: string, b: string) => number): string[] {
  for (let i = 1; i < members.length; i++) if (order(members[i - 1], members[i]) >= 0) return [...new Set(members)].sort(order);
  return members;
}

export const ipsetText = (state: NodeState, memberOrder: (a: string, b: string) => number): string =>
  textOf((w) => writeIpsets(state.ipsets, memberOrder, w));
