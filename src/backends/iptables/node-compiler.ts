/**
 * The iptables backend of one compute node, as Neutron's IptablesFirewallDriver
 * lays the node out: it renders the policy engine's IR (policy/engine.ts) into
 * chains and ipsets, and each event's IR changes into a delta. It keeps the
 * ipsets, the conntrack zones and the chain-name registry; the chains are not
 * kept: they are rendered from the IR when they are read (the whole state, or
 * written out as restore payloads, rendered once straight into the output) and,
 * for a change, for the ports it touches, before and after, to find the delta.
 */
import { type IrChanges, PolicyEngine } from '../../policy/engine.js';
import { type ParsedEvent } from '../../policy/events.js';
import { type Family, FAMILIES, type PortPolicy } from '../../policy/ir.js';
import { type CompileOptions, type Topology, type TopologyPort } from '../../policy/topology.js';
import { type FirewallBackend } from '../contract.js';
import { type Delta, type TableDelta } from './delta.js';
import { chainCollision, chainKey, checkDevice, checkGroupName, checkNames, ipsetName, wrapped } from './naming.js';
import {
  baseTables, type Fragment, hasOwnChain, ipsetEntries, ipsetMemberOrder, type OwnChain, OWN_CHAINS, ownChainNames, type RenderContext,
  renderOwnChain, renderPort, renderSharedChain, sameRules, sameShare, type SharedChain, SHARED_CHAINS,
} from './render.js';
import { assignZones, type PortConntrack, tracking, type ZonedPolicy, zoneKey } from './zones.js';
import { BUILTIN, chainOrder, type FamilyTables, type IpSet, type KernelSource, materialize, type NodeState, tableFamilies, type TableName, TABLES } from './state.js';

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

export class NodeCompiler implements KernelSource, FirewallBackend<NodeState, Delta> {
  readonly engine: PolicyEngine;
  /**
   * Conntrack zones are this driver's agent state, not the IR's: Neutron's iptables
   * firewall numbers them (one per network, or per port on ovs_hybrid) and keeps the
   * numbers across restarts; another backend may have no zones at all. Neither the
   * numbers nor whether a port is tracked are in the IR: they are filled in here.
   */
  readonly zones: Map<string, number>;
  /** each filtered port's tracking and zone, by the policy they were worked out for */
  private readonly conntrack = new WeakMap<PortPolicy, PortConntrack>();
  private readonly ctx: RenderContext;
  private readonly sets = new Map<string, IpSet>();
  /** local ports by the part of their id that names their chains (names must not collide) */
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
    const local = t.ports.filter((p) => p.local);
    checkNames(t, local);
    this.engine = new PolicyEngine(t);
    this.zones = new Map(previousZones);
    this.ctx = { options: t.options, members: (g, f) => this.engine.membersOf(g, f), conntrack: (pp) => this.conntrack.get(pp)! };
    for (const p of local) this.chainOwners.set(chainKey(p), p.id);
    const policies = this.engine.localPolicies();
    this.number(policies);
    this.framed = policies.length > 0;
    if (t.options.enableIpset) for (const f of FAMILIES) for (const g of this.engine.referenced(f)) this.syncSet(g, f, true, undefined);
  }

  private get options(): CompileOptions {
    return this.engine.topology.options;
  }

  /**
   * Gives the filtered ones of `policies`, as they are derived, their tracking (from the members
   * the groups have now) and zones (a new key gets the next number).
   */
  private number(policies: Iterable<PortPolicy>): void {
    const perPort = this.options.driver === 'ovs_hybrid';
    const filtered: PortPolicy[] = [];
    for (const pp of policies) if (pp.kind === 'filtered') filtered.push(pp);
    assignZones(filtered.map((pp) => pp.port), perPort, this.zones);
    const { topology } = this.engine;
    for (const pp of filtered) {
      this.conntrack.set(pp, { tracking: tracking(pp.port, topology, this.ctx.members), zone: this.zones.get(zoneKey(pp.port, perPort))! });
    }
  }

  /** A local port's conntrack zone (null for a port this backend does not filter). */
  zoneOf(pp: PortPolicy): number | null {
    return this.conntrack.get(pp)?.zone ?? null;
  }

  /** Keeps the chain-name registry; a collision (or a device the input names wrong) is refused before anything changes. */
  private checkPort(id: string, port: TopologyPort | undefined): void {
    if (port) checkDevice(this.options.driver, port);
    if (!port?.local) return;
    const owner = this.chainOwners.get(chainKey(port));
    if (owner && owner !== id) throw chainCollision(id, owner);
  }

  /** Applies one change; returns what the kernel must do to follow it. */
  apply(e: ParsedEvent): Delta {
    if (e.op === 'set_port') this.checkPort(e.id, e.port);
    else checkGroupName(this.engine.topology, e.group.id);
    const plan = this.engine.plan(e);
    // what the touched ports rendered before, to compare with after
    const before: Before = { fragments: new Map(), policies: this.engine.localPolicies() };
    for (const id of plan.ports) {
      const pp = this.engine.policyOf(id);
      before.fragments.set(id, pp && renderPort(this.ctx, pp));
    }
    if (e.op === 'set_port') {
      const old = this.engine.port(e.id);
      if (old?.local) this.chainOwners.delete(chainKey(old));
      if (e.port?.local) this.chainOwners.set(chainKey(e.port), e.id);
    }
    const c = new Changes();
    this.render(this.engine.commit(plan), c, before);
    return c.delta;
  }

  /** Records every kernel change an IR change makes, against `before` (what the touched ports rendered before). */
  private render(changes: IrChanges, c: Changes, before: Before): void {
    this.version++;
    let someLocal = false;
    const after: PortPolicy[] = [];
    for (const { after: pp } of changes.ports.values()) {
      if (!pp) continue;
      someLocal = true;
      after.push(pp);
    }
    this.number(after);
    const framing = !this.framed && someLocal;
    if (framing) {
      this.framed = true;
      for (const f of tableFamilies(this.options)) {
        for (const [table, chains] of Object.entries(baseTables(this.options)) as [TableName, Map<string, string[]>][]) {
          for (const [chain, rules] of chains) c.table(f, table).write.set(chain, rules);
        }
      }
    }
    let sharedDirty = framing;
    for (const [id, { after: pp }] of changes.ports) {
      if (this.diffPort(c, before.fragments.get(id), pp && renderPort(this.ctx, pp))) sharedDirty = true;
    }
    if (sharedDirty) this.diffShared(c, framing ? undefined : before.policies);
    if (!this.options.enableIpset) return;
    for (const f of FAMILIES) for (const [g, { referenced }] of changes.groups[f]) this.syncSet(g, f, referenced, c);
  }

  /** Records how one port's own chains changed; returns whether its lines in the shared chains did. */
  private diffPort(c: Changes, before: Fragment | undefined, after: Fragment | undefined): boolean {
    for (const f of tableFamilies(this.options)) {
      const write = c.table(f, 'filter');
      if (before) for (const chain of before.chains[f].keys()) if (!after?.chains[f].has(chain)) write.remove.push(chain);
      if (after) for (const [chain, rules] of after.chains[f]) if (!sameRules(before?.chains[f].get(chain), rules)) write.write.set(chain, rules);
    }
    return !sameShare(before, after);
  }

  /** Records the shared chains that differ from what they were for `before` (none when the node had no tables). */
  private diffShared(c: Changes, before: PortPolicy[] | undefined): void {
    const now = this.engine.localPolicies();
    for (const [chain, table] of Object.entries(SHARED_CHAINS) as [SharedChain, TableName][]) {
      const rules = renderSharedChain(this.ctx, chain, now);
      if (before && sameRules(renderSharedChain(this.ctx, chain, before), rules)) continue;
      for (const f of tableFamilies(this.options)) c.table(f, table).write.set(wrapped(this.options.driver, chain), rules);
    }
  }

  /** Creates, updates or destroys one remote group's ipset to match its members and references. */
  private syncSet(g: string, family: Family, referenced: boolean, c: Changes | undefined): void {
    const name = ipsetName(g, family);
    const old = this.sets.get(name);
    if (!referenced) {
      if (old) {
        this.sets.delete(name);
        c?.delta.destroySets.push(name);
      }
      return;
    }
    const members: string[] = [];
    for (const m of this.engine.membersOf(g, family)) for (const e of ipsetEntries(m.ip)) members.push(e);
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

  get ipsets(): ReadonlyMap<string, IpSet> {
    return this.sets;
  }

  /** The node's tables of one family, in iptables-save order; each chain is rendered when it is read. */
  tables(family: Family): FamilyTables {
    if (!this.framed || !tableFamilies(this.options).includes(family)) return {};
    const { driver } = this.options;
    const { own } = this.layout();
    const base = baseTables(this.options);
    const out: FamilyTables = {};
    for (const table of TABLES) {
      const fixed = new Map<string, ChainSource>(base[table]);
      for (const [chain, t] of Object.entries(SHARED_CHAINS) as [SharedChain, TableName][]) if (t === table) fixed.set(wrapped(driver, chain), chain);
      const chains = chainOrder(table, fixed.keys());
      const sources = chains.map((c) => fixed.get(c)!);
      if (table === 'filter') mergeOwn(chains, sources, own.filter((o) => hasOwnChain(o.pp, family, o.kind)));
      out[table] = { chains, rules: (i) => this.renderChain(sources[i], family) };
    }
    return out;
  }

  /**
   * The local ports' policies and their own chains (all three kinds, whether a family
   * has them or not) in chain-name order: worked out once per version, for both families.
   */
  private layout(): Layout {
    if (this.laidOut.version === this.version) return this.laidOut;
    const { driver } = this.options;
    const policies = this.engine.localPolicies();
    const filtered = policies.filter((pp) => pp.kind === 'filtered').map((pp) => ({ pp, names: ownChainNames(driver, pp.port) }));
    filtered.sort((a, b) => (a.names.ingress < b.names.ingress ? -1 : a.names.ingress > b.names.ingress ? 1 : 0));
    // a port's chain names differ only in their kind letter, and i < o < s: kind after kind, ports in one order, is name order
    const own = OWN_CHAINS.flatMap((kind) => filtered.map(({ pp, names }) => ({ pp, kind, name: names[kind] })));
    return (this.laidOut = { version: this.version, policies, own, shared: new Map() });
  }

  private renderChain(source: ChainSource, family: Family): readonly string[] {
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

  get policy(): ZonedPolicy {
    const ir = this.engine.policy();
    const ports = ir.ports.map((pp) => ({ ...pp, tracking: this.conntrack.get(pp)?.tracking ?? 'zone', zone: this.zoneOf(pp) }));
    return { ...ir, ports, zones: new Map(this.zones) };
  }
}
