/** Lookups over one fetched cloud: objects by id, group members, edges, and what an analyzer ObjectRef selects. */
import type { ObjectRef } from '../../src/analysis/answers.js';
import { type Edge, edgeOf, membersByGroup, type Ref, referenceEdges } from './graph/elements.js';
import { type Cloud, groupLabel, type Network, type Port, portLabel, type SecurityGroup, type SecurityGroupRule } from './neutron.js';

const byId = <T extends { id: string }>(items: T[]) => new Map(items.map((i) => [i.id, i]));

export class CloudIndex {
  readonly groups: Map<string, SecurityGroup>;
  readonly ports: Map<string, Port>;
  readonly rules: Map<string, SecurityGroupRule>;
  readonly networks: Map<string, Network>;
  readonly members: Map<string, Port[]>;
  readonly edges: Map<string, Edge>;

  constructor(readonly cloud: Cloud) {
    this.groups = byId(cloud.groups);
    this.ports = byId(cloud.ports);
    this.rules = byId(cloud.rules);
    this.networks = byId(cloud.networks);
    this.members = membersByGroup(cloud);
    this.edges = byId(referenceEdges(cloud));
  }

  /** The graph element an analyzer object is drawn as: a rule is its edge (remote group) or its group. */
  refOf(o: ObjectRef): Ref | undefined {
    if (o.type === 'port' && this.ports.has(o.id)) return { kind: 'port', id: o.id };
    if (o.type === 'security_group' && this.groups.has(o.id)) return { kind: 'group', id: o.id };
    const rule = o.type === 'security_group_rule' ? this.rules.get(o.id) : undefined;
    if (!rule) return undefined;
    const edge = edgeOf(rule);
    return edge && this.edges.has(edge.id) ? edge : { kind: 'group', id: rule.security_group_id };
  }

  groupName(id: string): string {
    const g = this.groups.get(id);
    return g ? groupLabel(g) : id.slice(0, 8);
  }

  label(r: Ref): string {
    if (r.kind === 'group') return `group ${this.groupName(r.id)}`;
    if (r.kind === 'port') {
      const p = this.ports.get(r.id);
      return `port ${p ? portLabel(p) : r.id.slice(0, 8)}`;
    }
    const e = this.edges.get(r.id);
    return e ? `${this.groupName(e.from)} → ${this.groupName(e.to)}` : r.id;
  }

  /** The groups a selection lives in, so a large graph can expand them. */
  groupsOf(r: Ref): string[] {
    if (r.kind === 'group') return [r.id];
    if (r.kind === 'port') return this.ports.get(r.id)?.security_groups ?? [];
    return [];
  }
}
