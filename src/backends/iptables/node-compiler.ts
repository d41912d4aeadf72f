/**
 * One compute node's compiler, kept incrementally (after Cilium's endpoint
 * policy): the membership index, each local port's IR, reference counts of the
 * remote groups the rules name, and the ipsets. The chains are not kept: they
 * are rendered from the IR when they are read (the whole state, or written out
 * as restore payloads, rendered once straight into the output) and, for a
 * change, for the ports it touches, before and after, to find the delta. A
 * change re-derives only the ports it touches and the groups whose members
 * moved; the initial state is built by the same per-port steps, so incremental
 * and full compiles cannot drift apart.
 */
import { assignZones, chainKey, checkGroupName, checkNames, indexTopology, portPolicy, zoneKey } from '../../policy/compile.js';
import { applyEvent, type ParsedEvent } from '../../policy/events.js';
import { type Family, FAMILIES, type HostPolicy, type Member, type PolicyRule, type PortPolicy } from '../../policy/ir.js';
import { type MembershipIndex } from '../../policy/membership.js';
import { type Topology, TopologyError, type TopologyPort } from '../../policy/topology.js';
import { type Delta, type TableDelta } from './delta.js';
import { ipsetName, wrapped } from './naming.js';
import {
  baseTables, type Fragment, hasOwnChain, ipsetEntries, ipsetMemberOrder, type OwnChain, OWN_CHAINS, ownChainNames, type RenderContext,
  renderOwnChain, renderPort, renderSharedChain, sameRules, sameShare, type SharedChain, SHARED_CHAINS,
} from './render.js';
import { BUILTIN, chainOrder, type FamilyTables, type IpSet, type KernelSource, materialize, type NodeState, type TableName, TABLES } from './state.js';

/** Counts or lists per family and remote group. */
type PerGroup<T> = Record<Family, Map<string, T>>;
const perGroup = <T>(): PerGroup<T> => ({ IPv4: new Map(), IPv6: new Map() });

/** The (family, remote group) pairs a list of group rules names, once each. */
const refsOfRules = new WeakMap<readonly PolicyRule[], [Family, string][]>();

function remoteRefs(rules: readonly PolicyRule[]): [Family, string][] {
  let refs = refsOfRules.get(rules);
  if (!refs) {
    const seen = new Set<string>();
    refs = [];
    for (const r of rules) {
      if (r.remote.kind !== 'group' || seen.has(r.ethertype + r.remote.groupId)) continue;
      seen.add(r.ethertype + r.remote.groupId);
      refs.push([r.ethertype, r.remote.groupId]);
    }
    refsOfRules.set(rules, refs);
  }
  return refs;
}

/**
 * Adds `by` to the reference count of every (family, remote group) a port's rules name
 * (each once: a count is of ports); marks them touched. Only group rules name remote groups.
 */
function countRefs(refs: PerGroup<number>, pp: PortPolicy | undefined, by: number, touched: Record<Family, Set<string>>): void {
  if (pp?.kind !== 'filtered') return;
  for (const [family, g] of remoteRefs(pp.groupRules)) {
    refs[family].set(g, (refs[family].get(g) ?? 0) + by);
    touched[family].add(g);
  }
}

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

/** What the kernel held before a change, for the ports it touches: to compare with after. */
interface Before {
  /** the touched ports' rendered fragments (undefined for a port that had none) */
  fragments: Map<string, Fragment | undefined>;
  /** every local port's policy, in port order */
  policies: PortPolicy[];
}

/** A chain of a table as the writers read it: its rules as they are, or what renders them. */
type ChainSource = readonly string[] | SharedChain | OwnChainSource;

interface OwnChainSource {
  pp: PortPolicy;
  kind: OwnChain;
  name: string;
}

/** What the tables of one version are built from. */
interface Layout {
  version: number;
  /** every local port's policy, in port order */
  policies: PortPolicy[];
  /** the filtered ports' own chains, in name order */
  own: OwnChainSource[];
  /** the shared chains (the same in both families), once rendered */
  shared: Map<SharedChain, readonly string[]>;
}

/**
 * Merges the own chains (in name order) into the filter table's other chains (built-ins
 * first, then in name order), in place: thousands of names are merged, not sorted again.
 */
function mergeOwn(chains: string[], sources: ChainSource[], own: readonly OwnChainSource[]): void {
  const from = BUILTIN.filter.length;
  const names = chains.splice(from);
  const rest = sources.splice(from);
  let i = 0;
  const take = () => {
    chains.push(names[i]);
    sources.push(rest[i++]);
  };
  for (const o of own) {
    while (i < names.length && names[i] < o.name) take();
    chains.push(o.name);
    sources.push(o);
  }
  while (i < names.length) take();
}

export class NodeCompiler implements KernelSource {
  private topology: Topology;
  private readonly index: MembershipIndex;
  readonly zones: Map<string, number>;
  private readonly policies = new Map<string, PortPolicy>();
  private readonly refs = perGroup<number>();
  /** members per family and group, dropped when the group's members change */
  private readonly members = perGroup<Member[]>();
  private readonly ctx: RenderContext;
  private readonly sets = new Map<string, IpSet>();
  private readonly ports = new Map<string, TopologyPort>();
  /** local ports by the part of their device that names their chains (names must not collide) */
  private readonly chainOwners = new Map<string, string>();
  /**
   * Neutron's agent first writes its tables when it first filters a port, and keeps
   * them (empty of ports) after the last one leaves
   */
  private framed = false;
  /** bumped by every change: what is rendered from the whole node is kept for one version */
  private version = 0;
  private laidOut: Layout = { version: -1, policies: [], own: [], shared: new Map() };

  constructor(t: Topology, previousZones?: Map<string, number>) {
    this.topology = t;
    this.index = indexTopology(t);
    this.zones = new Map(previousZones);
    this.ctx = { options: t.options, members: (g, f) => this.membersOf(g, f) };
    checkNames(t, t.ports.filter((p) => p.local));
    for (const p of t.ports) this.track(p.id, p);
    // the initial state is the delta from nothing: nobody needs it recorded
    this.update(t.ports.filter((p) => p.local).map((p) => p.id), new Set(), undefined);
  }

  /** A remote group's members as this node expands them. */
  membersOf(groupId: string, family: Family): Member[] {
    let m = this.members[family].get(groupId);
    if (!m) this.members[family].set(groupId, (m = this.index.members(groupId, family)));
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

  /** The local ports' policies, in port order. */
  localPolicies(): PortPolicy[] {
    const out: PortPolicy[] = [];
    for (const p of this.topology.ports) {
      const pp = this.policies.get(p.id);
      if (pp) out.push(pp);
    }
    return out;
  }

  /**
   * Re-derives the given ports and the sets of the given groups. With `c`, records
   * every kernel change against `before` (what the touched ports rendered before).
   */
  private update(ids: Iterable<string>, moved: Set<string>, c: Changes | undefined, before?: Before): void {
    const t = this.topology;
    this.version++;
    const fresh = new Map<string, PortPolicy | undefined>();
    const filtered: TopologyPort[] = [];
    let someLocal = false;
    for (const id of ids) {
      const p = this.ports.get(id);
      const pp = p?.local ? portPolicy(t, p, this.ctx.members) : undefined;
      fresh.set(id, pp);
      someLocal ||= !!pp;
      if (pp?.kind === 'filtered') filtered.push(p!);
    }
    assignZones(filtered, this.perPortZones, this.zones);
    const touchedSets: Record<Family, Set<string>> = { IPv4: new Set(), IPv6: new Set() };
    const framing = !this.framed && someLocal;
    if (framing) {
      this.framed = true;
      if (c) {
        for (const f of FAMILIES) {
          for (const [table, chains] of Object.entries(baseTables(t.options)) as [TableName, Map<string, string[]>][]) {
            for (const [chain, rules] of chains) c.table(f, table).write.set(chain, rules);
          }
        }
      }
    }
    let sharedDirty = framing;
    for (const [id, pp] of fresh) {
      const oldPolicy = this.policies.get(id);
      if (pp) {
        if (pp.kind === 'filtered') pp.zone = this.zones.get(zoneKey(pp.port, this.perPortZones))!;
        this.policies.set(id, pp);
      } else {
        this.policies.delete(id);
      }
      countRefs(this.refs, oldPolicy, -1, touchedSets);
      countRefs(this.refs, pp, 1, touchedSets);
      if (c && this.diffPort(c, before!.fragments.get(id), pp && renderPort(this.ctx, pp))) sharedDirty = true;
    }
    if (c && sharedDirty) this.diffShared(c, framing ? undefined : before!.policies);
    for (const f of FAMILIES) {
      for (const g of moved) if (this.refs[f].get(g)) touchedSets[f].add(g);
      if (t.options.enableIpset) for (const g of touchedSets[f]) this.syncSet(g, f, c);
    }
  }

  /** Records how one port's own chains changed; returns whether its lines in the shared chains did. */
  private diffPort(c: Changes, before: Fragment | undefined, after: Fragment | undefined): boolean {
    for (const f of FAMILIES) {
      const write = c.table(f, 'filter');
      if (before) for (const chain of before.chains[f].keys()) if (!after?.chains[f].has(chain)) write.remove.push(chain);
      if (after) for (const [chain, rules] of after.chains[f]) if (!sameRules(before?.chains[f].get(chain), rules)) write.write.set(chain, rules);
    }
    return !sameShare(before, after);
  }

  /** Records the shared chains that differ from what they were for `before` (none when the node had no tables). */
  private diffShared(c: Changes, before: PortPolicy[] | undefined): void {
    const now = this.localPolicies();
    for (const [chain, table] of Object.entries(SHARED_CHAINS) as [SharedChain, TableName][]) {
      const rules = renderSharedChain(this.ctx, chain, now);
      if (before && sameRules(renderSharedChain(this.ctx, chain, before), rules)) continue;
      for (const f of FAMILIES) c.table(f, table).write.set(wrapped(this.topology.options.driver, chain), rules);
    }
  }

  /** Creates, updates or destroys one remote group's ipset to match its members and references. */
  private syncSet(g: string, family: Family, c: Changes | undefined): void {
    const name = ipsetName(g, family);
    const old = this.sets.get(name);
    if (!this.refs[family].get(g)) {
      this.refs[family].delete(g);
      if (old) {
        this.sets.delete(name);
        c?.delta.destroySets.push(name);
      }
      return;
    }
    const members: string[] = [];
    for (const m of this.membersOf(g, family)) for (const e of ipsetEntries(m.ip)) members.push(e);
    this.sets.set(name, { family, members });
    if (!c) return;
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
    // which ports and groups the change touches, found before anything changes
    const affected = new Set<string>();
    const moved = new Set<string>();
    if (e.op === 'set_port') {
      for (const g of this.index.groupsOf(e.id)) moved.add(g);
      for (const g of e.port?.security_groups ?? []) moved.add(g);
      if (this.policies.has(e.id) || e.port?.local) affected.add(e.id);
    } else {
      for (const pp of this.policies.values()) if (pp.port.security_groups.includes(e.group.id)) affected.add(pp.port.id);
    }
    // without ipsets, members are written into the chains of every port whose rules name the group
    if (!this.topology.options.enableIpset && moved.size) {
      for (const pp of this.policies.values()) {
        if (pp.rules.some((r) => r.remote.kind === 'group' && moved.has(r.remote.groupId))) affected.add(pp.port.id);
      }
    }
    const before: Before = { fragments: new Map(), policies: this.localPolicies() };
    for (const id of affected) {
      const pp = this.policies.get(id);
      before.fragments.set(id, pp && renderPort(this.ctx, pp));
    }
    this.topology = applyEvent(this.topology, e);
    if (e.op === 'set_port') {
      this.track(e.id, e.port);
      this.index.setPort(e.id, e.port);
    }
    for (const g of moved) for (const f of FAMILIES) this.members[f].delete(g);
    const c = new Changes();
    this.update(affected, moved, c, before);
    return c.delta;
  }

  get ipsets(): ReadonlyMap<string, IpSet> {
    return this.sets;
  }

  /** The node's tables of one family, in iptables-save order; each chain is rendered when it is read. */
  tables(family: Family): FamilyTables {
    if (!this.framed) return {};
    const { driver } = this.topology.options;
    const { own } = this.layout();
    const base = baseTables(this.topology.options);
    const out: FamilyTables = {};
    for (const table of TABLES) {
      const fixed = new Map<string, ChainSource>(base[table]);
      for (const [chain, t] of Object.entries(SHARED_CHAINS) as [SharedChain, TableName][]) if (t === table) fixed.set(wrapped(driver, chain), chain);
      const chains = chainOrder(table, fixed.keys());
      const sources = chains.map((c) => fixed.get(c)!);
      if (table === 'filter') mergeOwn(chains, sources, own.filter((o) => hasOwnChain(o.pp, family, o.kind)));
      out[table] = { chains, rules: (i) => this.render(sources[i], family) };
    }
    return out;
  }

  /**
   * The local ports' policies and their own chains (all three kinds, whether a family
   * has them or not) in chain-name order: worked out once per version, for both families.
   */
  private layout(): Layout {
    if (this.laidOut.version === this.version) return this.laidOut;
    const { driver } = this.topology.options;
    const policies = this.localPolicies();
    const filtered = policies.filter((pp) => pp.kind === 'filtered').map((pp) => ({ pp, names: ownChainNames(driver, pp.port) }));
    filtered.sort((a, b) => (a.names.ingress < b.names.ingress ? -1 : a.names.ingress > b.names.ingress ? 1 : 0));
    // a port's chain names differ only in their kind letter, and i < o < s: kind after kind, ports in one order, is name order
    const own = OWN_CHAINS.flatMap((kind) => filtered.map(({ pp, names }) => ({ pp, kind, name: names[kind] })));
    return (this.laidOut = { version: this.version, policies, own, shared: new Map() });
  }

  private render(source: ChainSource, family: Family): readonly string[] {
    if (typeof source === 'string') return this.sharedChain(source);
    if ('pp' in source) return renderOwnChain(this.ctx, source.pp, family, source.kind);
    return source;
  }

  /** A shared chain's rules, rendered once per version for both families. */
  private sharedChain(chain: SharedChain): readonly string[] {
    const { policies, shared } = this.layout();
    let rules = shared.get(chain);
    if (!rules) shared.set(chain, (rules = renderSharedChain(this.ctx, chain, policies)));
    return rules;
  }

  /** A snapshot of the node's kernel state. */
  get state(): NodeState {
    return { tables: { IPv4: materialize(this.tables('IPv4')), IPv6: materialize(this.tables('IPv6')) }, ipsets: new Map(this.sets) };
  }

  get policy(): HostPolicy {
    const ports = this.localPolicies();
    const remoteGroups = new Map<string, Partial<Record<Family, Member[]>>>();
    for (const pp of ports) {
      for (const r of pp.rules) {
        if (r.remote.kind === 'group') remoteGroups.set(r.remote.groupId, { ...remoteGroups.get(r.remote.groupId), [r.ethertype]: this.membersOf(r.remote.groupId, r.ethertype) });
      }
    }
    return { options: this.topology.options, ports, remoteGroups, zones: new Map(this.zones) };
  }
}
