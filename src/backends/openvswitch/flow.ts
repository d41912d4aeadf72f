/**
 * One OpenFlow flow as Neutron's OVS firewall builds it (a Python dict of
 * match fields and actions, whose key order is the text's order) and the
 * line ovs_lib gives `ovs-ofctl add-flows` for it; and the bridge's flow
 * table, where an add replaces the flow with the same table, priority and
 * match, as Open vSwitch does.
 */
import { parseCidr, formatNetwork } from '../../model/addresses.js';

/** A flow's fields in the order the driver set them (a Map keeps a Python dict's order: a new key goes last, a set one keeps its place). */
export type Flow = Map<string, string | number>;

export const flow = (entries: [string, string | number][]): Flow => new Map(entries);

/** The registers the driver names `reg_port`, `reg_net` and `reg_remote_group` (constants.py REG_PORT, REG_NET, REG_REMOTE_GROUP). */
const REGISTERS: [string, string][] = [['reg_port', 'reg5'], ['reg_net', 'reg6'], ['reg_remote_group', 'reg7']];

/**
 * `OVSFirewallDriver._add_flow`'s rewriting before ovs_lib sees the flow: `reg_*` become
 * register numbers (moved last: create_reg_numbers deletes and re-adds the key), an integer
 * dl_type becomes `0x%04x` in place.
 */
export function driverFlow(f: Flow): Flow {
  const out = new Map(f);
  for (const [name, reg] of REGISTERS) {
    if (!out.has(name)) continue;
    const v = out.get(name)!;
    out.delete(name);
    out.set(reg, v);
  }
  const dlType = out.get('dl_type');
  if (typeof dlType === 'number') out.set('dl_type', `0x${dlType.toString(16).padStart(4, '0')}`);
  return out;
}

/** ovs_lib `_build_flow_expr_str(flow, 'add')`: timeouts and priority first, the match in its order, the actions last. */
export function flowText(f: Flow): string {
  const parts = ['hard_timeout=0', 'idle_timeout=0', `priority=${f.get('priority') ?? 1}`];
  for (const [k, v] of f) if (k !== 'priority' && k !== 'actions') parts.push(`${k}=${v}`);
  parts.push(`actions=${f.get('actions')}`);
  return parts.join(',');
}

const IP_FIELDS = new Set(['nw_src', 'nw_dst', 'ipv6_src', 'ipv6_dst', 'arp_spa', 'arp_tpa', 'nd_target']);
const COLON_MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}(\/.*)?$/i;
const NUMBER = /^(0x[0-9a-f]+|0o[0-7]+|0b[01]+|[1-9][0-9]*|0+)$/i;

/**
 * A match value as Open vSwitch compares it: an address without host bits (undefined at /0,
 * which is no match at all), a MAC in any case, a number (or value/mask) in any base.
 */
function matchValue(field: string, text: string): string | undefined {
  if (IP_FIELDS.has(field)) {
    const c = parseCidr(text, true);
    if (c) return c.prefixlen === 0 ? undefined : formatNetwork(c);
  }
  if (COLON_MAC.test(text)) return text.toLowerCase();
  const parts = text.split('/');
  if (parts.every((p) => NUMBER.test(p))) return parts.map((p) => String(BigInt(p))).join('/');
  return text;
}

/** Table, priority and match: what makes two adds the same flow. */
export function flowKey(f: Flow): string {
  const match: string[] = [];
  for (const [k, v] of f) {
    if (k === 'priority' || k === 'table' || k === 'actions' || k === 'cookie') continue;
    const value = matchValue(k, String(v));
    if (value !== undefined) match.push(`${k}=${value}`);
  }
  return `${f.get('table') ?? 0} ${f.get('priority') ?? 1} ${match.sort().join(',')}`;
}

/** A flow line's table and priority, read from its match (flowText writes both there; no table is table 0). */
function tableAndPriority(text: string): [number, number] {
  const match = text.slice(0, text.indexOf(',actions=')).split(',');
  const field = (k: string, absent: number) => Number(match.find((m) => m.startsWith(`${k}=`))?.slice(k.length + 1) ?? absent);
  return [field('table', 0), field('priority', 1)];
}

/** Flow lines by table, priority (highest first), then text: the order the golden fixtures list them in. */
export function dumpOrder(flows: Iterable<string>): string[] {
  return [...flows].map((text) => [...tableAndPriority(text), text] as const)
    .sort(([ta, pa, a], [tb, pb, b]) => ta - tb || pb - pa || (a < b ? -1 : a > b ? 1 : 0))
    .map(([, , text]) => text);
}

/** The integration bridge's flows, fed adds in the order the driver sends them. */
export class FlowTable {
  private readonly flows = new Map<string, string>();

  add(f: Flow): void {
    this.flows.set(flowKey(f), flowText(f));
  }

  dump(): string[] {
    return dumpOrder(this.flows.values());
  }
}
