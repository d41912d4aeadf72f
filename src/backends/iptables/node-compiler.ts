/**
 * One compute node's compiler, kept incrementally (after Cilium's endpoint
 * policy): the membership index, each local port's IR and rendered fragment,
 * and the resulting kernel state. A change event re-derives only the ports it
 * touches and the remote groups whose members moved, and returns the delta.
 * The initial state is built by the same per-port steps, so incremental and
 * full compiles cannot drift apart.
 */
import { assignZones, indexTopology, portPolicy, referencedGroups, zoneKey, checkNames } from '../../policy/compile.js';
import { applyEvent, type ParsedEvent } from '../../policy/events.js';
import { type Family, type HostPolicy, type Member, type PortPolicy } from '../../policy/ir.js';
import { type MembershipIndex } from '../../policy/membership.js';
import { type Topology } from '../../policy/topology.js';
import { type Delta, diffStates } from './delta.js';
import { ipsetName } from './naming.js';
import { assemble, type Fragment, ipsetEntries, type RenderContext, renderPort } from './render.js';
import { type IpSet, type NodeState } from './state.js';

export class NodeCompiler {
  private topology: Topology;
  private readonly index: MembershipIndex;
  readonly zones: Map<string, number>;
  private readonly policies = new Map<string, PortPolicy>();
  private readonly fragments = new Map<string, Fragment>();
  /** members and ipset entries per "group|family", dropped when the group's members change */
  private readonly members = new Map<string, Member[]>();
  private readonly entries = new Map<string, string[]>();
  private readonly ctx: RenderContext;
  state: NodeState;

  constructor(t: Topology, previousZones?: Map<string, number>) {
    this.topology = t;
    this.index = indexTopology(t);
    this.zones = new Map(previousZones);
    this.ctx = { options: t.options, members: (g, f) => this.membersOf(g, f) };
    checkNames(t, t.ports.filter((p) => p.local));
    this.refresh(new Set(t.ports.filter((p) => p.local).map((p) => p.id)));
    this.state = this.build();
  }

  private membersOf(groupId: string, family: Family): Member[] {
    const key = `${groupId}|${family}`;
    let m = this.members.get(key);
    if (!m) this.members.set(key, (m = this.index.members(groupId, family)));
    return m;
  }

  private get perPortZones(): boolean {
    return this.topology.options.driver === 'ovs_hybrid';
  }

  /** Re-derives the IR and the fragment of the given ports (dropping those no longer local). */
  private refresh(ids: Set<string>): void {
    const t = this.topology;
    const byId = new Map(t.ports.map((p) => [p.id, p]));
    const fresh = [...ids].map((id) => byId.get(id)).filter((p) => p?.local).map((p) => portPolicy(t, p!, this.ctx.members));
    const zones = assignZones(fresh.filter((pp) => pp.kind === 'filtered').map((pp) => pp.port), this.perPortZones, this.zones);
    for (const [k, v] of zones) this.zones.set(k, v);
    for (const id of ids) {
      this.policies.delete(id);
      this.fragments.delete(id);
    }
    for (const pp of fresh) {
      const full: PortPolicy = { ...pp, zone: pp.kind === 'filtered' ? this.zones.get(zoneKey(pp.port, this.perPortZones))! : null };
      this.policies.set(pp.port.id, full);
      this.fragments.set(pp.port.id, renderPort(this.ctx, full));
    }
  }

  private localPolicies(): PortPolicy[] {
    return this.topology.ports.map((p) => this.policies.get(p.id)).filter((pp): pp is PortPolicy => pp !== undefined);
  }

  private build(): NodeState {
    const tables = assemble(this.topology.options, this.topology.ports.map((p) => this.fragments.get(p.id)).filter((f): f is Fragment => !!f));
    const ipsets = new Map<string, IpSet>();
    if (this.topology.options.enableIpset) {
      for (const [g, families] of referencedGroups(this.localPolicies())) {
        for (const family of families) {
          const key = `${g}|${family}`;
          let members = this.entries.get(key);
          if (!members) this.entries.set(key, (members = this.membersOf(g, family).flatMap((m) => ipsetEntries(m.ip))));
          ipsets.set(ipsetName(g, family), { family, members });
        }
      }
    }
    return { tables, ipsets };
  }

  /** Applies one change; returns what the kernel must do to follow it. */
  apply(e: ParsedEvent): Delta {
    const before = this.topology;
    this.topology = applyEvent(before, e);
    const affected = new Set<string>();
    let moved = new Set<string>();
    if (e.op === 'set_port') {
      moved = this.index.setPort(e.id, e.port);
      if (this.policies.has(e.id) || e.port?.local) affected.add(e.id);
    } else {
      for (const pp of this.policies.values()) if (pp.port.security_groups.includes(e.group.id)) affected.add(pp.port.id);
    }
    for (const g of moved) {
      for (const f of ['IPv4', 'IPv6'] as const) {
        this.members.delete(`${g}|${f}`);
        this.entries.delete(`${g}|${f}`);
      }
    }
    // without ipsets, members are written into the chains of every port whose rules name the group
    if (!this.topology.options.enableIpset && moved.size) {
      for (const pp of this.policies.values()) {
        if (pp.rules.some((r) => r.remote.kind === 'group' && moved.has(r.remote.groupId))) affected.add(pp.port.id);
      }
    }
    checkNames(this.topology, this.topology.ports.filter((p) => p.local));
    this.refresh(affected);
    const prev = this.state;
    this.state = this.build();
    return diffStates(prev, this.state);
  }

  get policy(): HostPolicy {
    const remoteGroups = new Map<string, Partial<Record<Family, Member[]>>>();
    for (const [g, families] of referencedGroups(this.localPolicies())) {
      remoteGroups.set(g, Object.fromEntries([...families].map((f) => [f, this.membersOf(g, f)])));
    }
    return { options: this.topology.options, ports: this.localPolicies(), remoteGroups, zones: new Map(this.zones) };
  }
}
