/**
 * One compute node's compiler, kept incrementally (after Cilium's endpoint
 * policy): the membership index, each local port's IR and rendered fragment,
 * reference counts of the remote groups the rules name, and the kernel tables
 * themselves. A change event re-derives only the ports it touches and the
 * groups whose members moved, and returns the delta it made; the initial state
 * is built by the same per-port steps, so incremental and full compiles cannot
 * drift apart.
 */
import { assignZones, chainKey, checkGroupName, checkNames, indexTopology, portPolicy, zoneKey } from '../../policy/compile.js';
import { applyEvent, type ParsedEvent } from '../../policy/events.js';
import { type Family, FAMILIES, type HostPolicy, type Member, type PortPolicy } from '../../policy/ir.js';
import { type MembershipIndex } from '../../policy/membership.js';
import { type Topology, TopologyError, type TopologyPort } from '../../policy/topology.js';
import { type Delta, type TableDelta } from './delta.js';
import { ipsetName } from './naming.js';
import { baseTables, type Fragment, ipsetEntries, ipsetMemberOrder, type RenderContext, renderPort, sameShare, sharedChains } from './render.js';
import { type IpSet, type NodeState, type Table, type TableName, TABLES } from './state.js';

type GroupKey = `${string}|${Family}`;
const groupKey = (g: string, f: Family): GroupKey => `${g}|${f}`;

/** The (remote group, family) pairs a port's rules name. */
function remoteRefs(pp: PortPolicy | undefined): Set<GroupKey> {
  const refs = new Set<GroupKey>();
  if (pp?.kind === 'filtered') for (const r of pp.rules) if (r.remote.kind === 'group') refs.add(groupKey(r.remote.groupId, r.ethertype));
  return refs;
}

const sameRules = (a: string[] | undefined, b: string[]) => a === b || (!!a && a.length === b.length && a.every((r, i) => r === b[i]));

/** Collects what one apply writes, in the shape of a Delta. */
class Changes {
  readonly delta: Delta = {
    iptables: Object.fromEntries(FAMILIES.map((f) => [f, Object.fromEntries(TABLES.map((t) => [t, { write: new Map(), remove: [] }]))])) as unknown as Delta['iptables'],
    createSets: new Map(), addMembers: new Map(), delMembers: new Map(), destroySets: [],
  };

  table(f: Family, t: TableName): TableDelta {
    return this.delta.iptables[f][t];
  }
}

export class NodeCompiler {
  private topology: Topology;
  private readonly index: MembershipIndex;
  readonly zones: Map<string, number>;
  private readonly policies = new Map<string, PortPolicy>();
  private readonly fragments = new Map<string, Fragment>();
  private readonly refs = new Map<GroupKey, number>();
  /** members per group and family, dropped when the group's members change */
  private readonly members = new Map<GroupKey, Member[]>();
  private readonly ctx: RenderContext;
  private readonly tables: Record<Family, Record<TableName, Table>>;
  private readonly ipsets = new Map<string, IpSet>();
  private readonly ports = new Map<string, TopologyPort>();
  /** local ports by the part of their device that names their chains (names must not collide) */
  private readonly chainOwners = new Map<string, string>();

  constructor(t: Topology, previousZones?: Map<string, number>) {
    this.topology = t;
    this.index = indexTopology(t);
    this.zones = new Map(previousZones);
    this.ctx = { options: t.options, members: (g, f) => this.membersOf(g, f) };
    this.tables = { IPv4: { raw: new Map(), filter: new Map() }, IPv6: { raw: new Map(), filter: new Map() } };
    checkNames(t, t.ports.filter((p) => p.local));
    for (const p of t.ports) this.track(p.id, p);
    this.update(new Set(t.ports.filter((p) => p.local).map((p) => p.id)), new Set(), new Changes());
  }

  private membersOf(groupId: string, family: Family): Member[] {
    const key = groupKey(groupId, family);
    let m = this.members.get(key);
    if (!m) this.members.set(key, (m = this.index.members(groupId, family)));
    return m;
  }

  /** Keeps the port lookup and the chain-name registry (a collision is refused before anything changes). */
  private track(id: string, port: TopologyPort | undefined): void {
    const old = this.ports.get(id);
    if (old?.local) this.chainOwners.delete(chainKey(old));
    if (port) this.ports.set(id, port);
    else this.ports.delete(id);
    if (port?.local) this.chainOwners.set(chainKey(port), id);
  }

  private checkPort(id: string, port: TopologyPort | undefined): void {
    if (!port?.local) return;
    const owner = this.chainOwners.get(chainKey(port));
    if (owner && owner !== id) throw new TopologyError(`port ${id}: its iptables chain names collide with port ${owner}'s (first 10 characters of the id)`);
  }

  private get perPortZones(): boolean {
    return this.topology.options.driver === 'ovs_hybrid';
  }

  private write(c: Changes, f: Family, t: TableName, chain: string, rules: string[] | undefined): void {
    const table = this.tables[f][t];
    if (rules === undefined) {
      if (table.delete(chain)) c.table(f, t).remove.push(chain);
    } else if (!sameRules(table.get(chain), rules)) {
      table.set(chain, rules);
      c.table(f, t).write.set(chain, rules);
    }
  }

  /** Re-derives the given ports and the sets of the given groups, recording every kernel change. */
  private update(ids: Set<string>, moved: Set<string>, c: Changes): void {
    const t = this.topology;
    const fresh = [...ids].map((id) => this.ports.get(id)).filter((p) => p?.local).map((p) => portPolicy(t, p!, this.ctx.members));
    for (const [k, v] of assignZones(fresh.filter((pp) => pp.kind === 'filtered').map((pp) => pp.port), this.perPortZones, this.zones)) this.zones.set(k, v);
    const touchedSets = new Set<GroupKey>();
    // Neutron's agent first writes its tables when it first filters a port, and keeps
    // them (empty of ports) after the last one leaves
    let sharedDirty = !this.framed && fresh.length > 0;
    if (sharedDirty) this.frame(c);
    const freshById = new Map(fresh.map((pp) => [pp.port.id, pp]));
    for (const id of ids) {
      const oldPolicy = this.policies.get(id);
      const oldFrag = this.fragments.get(id);
      const pp = freshById.get(id);
      let frag: Fragment | undefined;
      if (pp) {
        const full: PortPolicy = { ...pp, zone: pp.kind === 'filtered' ? this.zones.get(zoneKey(pp.port, this.perPortZones))! : null };
        frag = renderPort(this.ctx, full);
        this.policies.set(id, full);
        this.fragments.set(id, frag);
      } else {
        this.policies.delete(id);
        this.fragments.delete(id);
      }
      for (const f of FAMILIES) {
        for (const chain of oldFrag?.chains[f].keys() ?? []) if (!frag?.chains[f].has(chain)) this.write(c, f, 'filter', chain, undefined);
        for (const [chain, rules] of frag?.chains[f] ?? []) this.write(c, f, 'filter', chain, rules);
      }
      if (!sameShare(oldFrag, frag)) sharedDirty = true;
      for (const k of remoteRefs(oldPolicy)) {
        this.refs.set(k, this.refs.get(k)! - 1);
        touchedSets.add(k);
      }
      for (const k of remoteRefs(this.policies.get(id))) {
        this.refs.set(k, (this.refs.get(k) ?? 0) + 1);
        touchedSets.add(k);
      }
    }
    if (sharedDirty) {
      const ordered = t.ports.map((p) => this.fragments.get(p.id)).filter((f): f is Fragment => !!f);
      for (const [table, chain, rules] of sharedChains(t.options, ordered)) for (const f of FAMILIES) this.write(c, f, table, chain, rules);
    }
    for (const g of moved) for (const f of FAMILIES) if (this.refs.get(groupKey(g, f))) touchedSets.add(groupKey(g, f));
    if (t.options.enableIpset) for (const k of touchedSets) this.syncSet(k, c);
  }

  private framed = false;

  private frame(c: Changes): void {
    this.framed = true;
    for (const f of FAMILIES) {
      for (const [t, table] of Object.entries(baseTables(this.topology.options)) as [TableName, Table][]) {
        for (const [chain, rules] of table) this.write(c, f, t, chain, rules);
      }
    }
  }

  /** Creates, updates or destroys one remote group's ipset to match its members and references. */
  private syncSet(k: GroupKey, c: Changes): void {
    const [g, family] = k.split('|') as [string, Family];
    const name = ipsetName(g, family);
    const old = this.ipsets.get(name);
    if (!this.refs.get(k)) {
      this.refs.delete(k);
      if (old) {
        this.ipsets.delete(name);
        c.delta.destroySets.push(name);
      }
      return;
    }
    const members = this.membersOf(g, family).flatMap((m) => ipsetEntries(m.ip));
    this.ipsets.set(name, { family, members });
    if (!old) {
      c.delta.createSets.set(name, { family, members });
      return;
    }
    const before = new Set(old.members);
    const after = new Set(members);
    const add = [...after].filter((m) => !before.has(m)).sort(ipsetMemberOrder);
    const del = [...before].filter((m) => !after.has(m)).sort(ipsetMemberOrder);
    if (add.length) c.delta.addMembers.set(name, add);
    if (del.length) c.delta.delMembers.set(name, del);
  }

  /** Applies one change; returns what the kernel must do to follow it. */
  apply(e: ParsedEvent): Delta {
    if (e.op === 'set_port') this.checkPort(e.id, e.port);
    else checkGroupName(this.topology, e.group.id);
    this.topology = applyEvent(this.topology, e);
    if (e.op === 'set_port') this.track(e.id, e.port);
    const affected = new Set<string>();
    let moved = new Set<string>();
    if (e.op === 'set_port') {
      moved = this.index.setPort(e.id, e.port);
      if (this.policies.has(e.id) || e.port?.local) affected.add(e.id);
    } else {
      for (const pp of this.policies.values()) if (pp.port.security_groups.includes(e.group.id)) affected.add(pp.port.id);
    }
    for (const g of moved) for (const f of FAMILIES) this.members.delete(groupKey(g, f));
    // without ipsets, members are written into the chains of every port whose rules name the group
    if (!this.topology.options.enableIpset && moved.size) {
      for (const pp of this.policies.values()) {
        if (pp.rules.some((r) => r.remote.kind === 'group' && moved.has(r.remote.groupId))) affected.add(pp.port.id);
      }
    }
    const c = new Changes();
    this.update(affected, moved, c);
    return c.delta;
  }

  /** A snapshot of the node's kernel state. */
  get state(): NodeState {
    const copy = (f: Family) => Object.fromEntries(TABLES.map((t) => [t, new Map(this.tables[f][t])])) as Record<TableName, Table>;
    return { tables: { IPv4: copy('IPv4'), IPv6: copy('IPv6') }, ipsets: new Map(this.ipsets) };
  }

  get policy(): HostPolicy {
    const remoteGroups = new Map<string, Partial<Record<Family, Member[]>>>();
    for (const k of this.refs.keys()) {
      const [g, f] = k.split('|') as [string, Family];
      remoteGroups.set(g, { ...remoteGroups.get(g), [f]: this.membersOf(g, f) });
    }
    const ports = this.topology.ports.map((p) => this.policies.get(p.id)).filter((pp): pp is PortPolicy => !!pp);
    return { options: this.topology.options, ports, remoteGroups, zones: new Map(this.zones) };
  }
}
