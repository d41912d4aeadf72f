/** Lookups over one fetched cloud: objects by id, group members, edges, and what an analyzer ObjectRef selects. */
import type { ObjectRef } from '../../src/analysis/answers.js';
import { CLUSTER_ABOVE, clusterGroups, type Clustering, clusterNodeId, containersOf, projectNodeId } from './graph/clusters.js';
import { type Edge, edgeOf, membersByGroup, type Ref, referenceEdges } from './graph/elements.js';
import { type Cloud, groupLabel, type Network, type Port, portLabel, type SecurityGroup, type SecurityGroupRule, shortNames } from './neutron.js';

/** The longest name drawn (a collapsed group's box holds about this many characters) or listed. */
const NAME_CHARS = 20;

const byId = <T extends { id: string }>(items: T[]) => new Map(items.map((i) => [i.id, i]));

export class CloudIndex {
  readonly groups: Map<string, SecurityGroup>;
  readonly ports: Map<string, Port>;
  readonly rules: Map<string, SecurityGroupRule>;
  readonly networks: Map<string, Network>;
  readonly members: Map<string, Port[]>;
  readonly edges: Map<string, Edge>;
  /** groups' and ports' names as drawn and listed, by id (shortNames) */
  readonly short: Map<string, string>;
  /** a large cloud's clusters (undefined: every group is drawn) */
  readonly clusters?: Clustering;

  constructor(readonly cloud: Cloud) {
    this.groups = byId(cloud.groups);
    this.ports = byId(cloud.ports);
    this.rules = byId(cloud.rules);
    this.networks = byId(cloud.networks);
    this.members = membersByGroup(cloud);
    this.edges = byId(referenceEdges(cloud));
    this.short = new Map([...shortNames(cloud.groups, NAME_CHARS), ...shortNames(cloud.ports, NAME_CHARS)]);
    if (cloud.groups.length > CLUSTER_ABOVE) this.clusters = clusterGroups(cloud.groups, this.edges.values());
  }

  shortName(id: string): string {
    return this.short.get(id) ?? id.slice(0, 8);
  }

  /** A cluster's name: its hub group's and how many more, or what its groups have in common. */
  clusterName(id: string): string {
    const c = this.clusters?.clusters.get(id);
    if (!c) return id;
    if (c.hub === undefined) return `groups without references in project ${c.project.slice(0, 8)}`;
    return `${this.groupName(c.hub)}${c.groups.length > 1 ? ` and ${c.groups.length - 1} more` : ''}`;
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
    if (r.kind === 'cluster') return `cluster ${this.clusterName(r.id)}`;
    if (r.kind === 'project') return `project ${r.id}`;
    const e = this.edges.get(r.id);
    return e ? `${this.groupName(e.from)} → ${this.groupName(e.to)}` : r.id;
  }

  /** The groups a selection lives in, so a large graph can expand them. */
  groupsOf(r: Ref): string[] {
    if (r.kind === 'group') return [r.id];
    if (r.kind === 'port') return this.ports.get(r.id)?.security_groups ?? [];
    return [];
  }

  /** The cluster and project nodes to open so that a selection shows (the groups it lives in are opened apart). */
  containersOf(r: Ref): string[] {
    const c = this.clusters;
    if (!c) return [];
    if (r.kind === 'project') return [projectNodeId(r.id)];
    if (r.kind === 'cluster') return [clusterNodeId(r.id), projectNodeId(c.clusters.get(r.id)?.project ?? '')];
    const e = r.kind === 'edge' ? this.edges.get(r.id) : undefined;
    return (e ? [e.from, e.to] : this.groupsOf(r)).flatMap((g) => containersOf(c, g));
  }
}
