/**
 * One compute node's policy, kept incrementally (after Cilium's endpoint
 * policy) and backend-neutral: the topology, the membership index, each local
 * port's IR and reference counts of the remote groups the rules name. An event
 * re-derives only the ports it touches and the groups whose members moved, and
 * says so as IR changes; backends render those (backends/contract.ts). The
 * initial state is built by the same per-port step, so incremental and full
 * compiles cannot drift apart.
 */
import { indexTopology, portPolicy } from './compile.js';
import { applyEvent, type ParsedEvent } from './events.js';
import { type Family, FAMILIES, type HostPolicy, type Member, type PolicyRule, type PortPolicy } from './ir.js';
import { compareMembers, type MembershipIndex } from './membership.js';
import { type Topology, type TopologyPort } from './topology.js';

/** Per family and remote group. */
export type PerGroup<T> = Record<Family, Map<string, T>>;
const perGroup = <T>(): PerGroup<T> => ({ IPv4: new Map(), IPv6: new Map() });

/** One local port the change re-derived: added (no before), removed (no after) or re-derived. */
export interface PortChange {
  before: PortPolicy | undefined;
  after: PortPolicy | undefined;
}

/** A remote group the change touched (its references or its members). */
export interface GroupChange {
  wasReferenced: boolean;
  referenced: boolean;
  /** members gained and lost while referenced; all of them when it starts or stops being referenced */
  added: readonly Member[];
  removed: readonly Member[];
}

/** What one event changed in the IR, in the order it was re-derived. */
export interface IrChanges {
  ports: Map<string, PortChange>;
  groups: PerGroup<GroupChange>;
}

/** Which ports and groups an event touches, found before anything changes. */
export interface Plan {
  event: ParsedEvent;
  /** local ports (before or after) to re-derive */
  ports: Set<string>;
  /** groups whose members move */
  moved: Set<string>;
}

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

const NONE: readonly Member[] = [];
const memberKey = (m: Member) => `${m.portId} ${m.via} ${m.ip} ${m.mac}`;

/**
 * Members gained and lost, walking both lists in member order. The index keeps an
 * unchanged port's members as the same objects, so identity skips them; a re-set
 * port's members are new objects, and one equal to the one it replaces is no change.
 */
function diff(before: readonly Member[], after: readonly Member[]): { added: readonly Member[]; removed: readonly Member[] } {
  if (before === after) return { added: NONE, removed: NONE };
  if (before === NONE || after === NONE) return { added: after, removed: before };
  let added: Member[] = [];
  let removed: Member[] = [];
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    if (before[i] === after[j]) {
      i++;
      j++;
      continue;
    }
    const order = i === before.length ? 1 : j === after.length ? -1 : compareMembers(before[i], after[j]);
    if (order <= 0) removed.push(before[i++]);
    if (order >= 0) added.push(after[j++]);
  }
  if (added.length && removed.length) {
    const addedKeys = new Set(added.map(memberKey));
    const removedKeys = new Set(removed.map(memberKey));
    added = added.filter((m) => !removedKeys.has(memberKey(m)));
    removed = removed.filter((m) => !addedKeys.has(memberKey(m)));
  }
  return { added, removed };
}

export class PolicyEngine {
  private current: Topology;
  private readonly index: MembershipIndex;
  private readonly policies = new Map<string, PortPolicy>();
  /** per family and group, how many local ports' rules name it (a group no port names is not there) */
  private readonly refs = perGroup<number>();
  /** members per family and group, dropped when the group's members change */
  private readonly members = perGroup<Member[]>();
  private readonly ports = new Map<string, TopologyPort>();

  constructor(t: Topology) {
    this.current = t;
    this.index = indexTopology(t);
    for (const p of t.ports) this.ports.set(p.id, p);
    const touched = perGroup<true>();
    for (const p of t.ports) if (p.local) this.derive(p.id, touched);
  }

  get topology(): Topology {
    return this.current;
  }

  port(id: string): TopologyPort | undefined {
    return this.ports.get(id);
  }

  policyOf(id: string): PortPolicy | undefined {
    return this.policies.get(id);
  }

  /** A remote group's members as this node expands them. */
  membersOf(groupId: string, family: Family): Member[] {
    let m = this.members[family].get(groupId);
    if (!m) this.members[family].set(groupId, (m = this.index.members(groupId, family)));
    return m;
  }

  /** The groups local rules name in one family, in the order they were first named. */
  referenced(family: Family): Iterable<string> {
    return this.refs[family].keys();
  }

  /** The local ports' policies, in port order. */
  localPolicies(): PortPolicy[] {
    const out: PortPolicy[] = [];
    for (const p of this.current.ports) {
      const pp = this.policies.get(p.id);
      if (pp) out.push(pp);
    }
    return out;
  }

  /** The node's IR. */
  policy(): HostPolicy {
    const ports = this.localPolicies();
    const remoteGroups = new Map<string, Partial<Record<Family, Member[]>>>();
    for (const pp of ports) {
      for (const r of pp.rules) {
        if (r.remote.kind === 'group') remoteGroups.set(r.remote.groupId, { ...remoteGroups.get(r.remote.groupId), [r.ethertype]: this.membersOf(r.remote.groupId, r.ethertype) });
      }
    }
    return { options: this.current.options, ports, remoteGroups };
  }

  /** What an event will touch; a backend reads the state before it with `commit` still to come. */
  plan(e: ParsedEvent): Plan {
    const ports = new Set<string>();
    const moved = new Set<string>();
    if (e.op === 'set_port') {
      for (const g of this.index.groupsOf(e.id)) moved.add(g);
      for (const g of e.port?.security_groups ?? []) moved.add(g);
      if (this.policies.has(e.id) || e.port?.local) ports.add(e.id);
    } else {
      for (const pp of this.policies.values()) if (pp.port.security_groups.includes(e.group.id)) ports.add(pp.port.id);
    }
    // without ipsets a backend expands the members into the port's own rules (iptables' tracking depends on them too): the port changes
    if (!this.current.options.enableIpset && moved.size) {
      for (const pp of this.policies.values()) {
        if (pp.rules.some((r) => r.remote.kind === 'group' && moved.has(r.remote.groupId))) ports.add(pp.port.id);
      }
    }
    return { event: e, ports, moved };
  }

  /** Applies a planned event. */
  commit({ event: e, ports, moved }: Plan): IrChanges {
    const old = perGroup<readonly Member[]>();
    for (const f of FAMILIES) for (const g of moved) if (this.refs[f].has(g)) old[f].set(g, this.membersOf(g, f));
    this.current = applyEvent(this.current, e);
    if (e.op === 'set_port') {
      if (e.port) this.ports.set(e.id, e.port);
      else this.ports.delete(e.id);
      this.index.setPort(e.id, e.port);
    }
    for (const g of moved) for (const f of FAMILIES) this.members[f].delete(g);
    const touched = perGroup<true>();
    const was = perGroup<boolean>();
    const changes: IrChanges = { ports: new Map(), groups: perGroup() };
    for (const id of ports) {
      const before = this.policies.get(id);
      changes.ports.set(id, { before, after: this.derive(id, touched, was) });
    }
    for (const f of FAMILIES) {
      for (const g of moved) if (this.refs[f].get(g)) touched[f].set(g, true);
      for (const g of touched[f].keys()) {
        const wasReferenced = was[f].get(g) ?? this.refs[f].has(g);
        const referenced = !!this.refs[f].get(g);
        if (!referenced) this.refs[f].delete(g);
        const after = referenced ? this.membersOf(g, f) : NONE;
        // an unmoved group keeps its members: they count only as it starts or stops being referenced
        const before = !wasReferenced ? NONE : moved.has(g) ? old[f].get(g)! : referenced ? after : this.membersOf(g, f);
        changes.groups[f].set(g, { wasReferenced, referenced, ...diff(before, after) });
      }
    }
    return changes;
  }

  apply(e: ParsedEvent): IrChanges {
    return this.commit(this.plan(e));
  }

  /**
   * Re-derives one port's policy and moves its references to the groups its new rules
   * name (a count is of ports: each group once per port); marks them touched. `was`
   * records, the first time a group's count moves, whether it was referenced before.
   */
  private derive(id: string, touched: PerGroup<true>, was?: PerGroup<boolean>): PortPolicy | undefined {
    const p = this.ports.get(id);
    const old = this.policies.get(id);
    const pp = p?.local ? portPolicy(this.current, p) : undefined;
    if (pp) this.policies.set(id, pp);
    else this.policies.delete(id);
    const count = (policy: PortPolicy | undefined, by: number) => {
      if (policy?.kind !== 'filtered') return;
      for (const [f, g] of remoteRefs(policy.groupRules)) {
        const n = this.refs[f].get(g) ?? 0;
        if (was && !was[f].has(g)) was[f].set(g, n > 0);
        this.refs[f].set(g, n + by);
        touched[f].set(g, true);
      }
    };
    count(old, -1);
    count(pp, 1);
    return pp;
  }
}
