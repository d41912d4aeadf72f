/**
 * A large cloud's first view: its groups clustered by project and, within a
 * project, by reference component (groups tied by remote-group references, an
 * application's tiers); groups no reference ties are one cluster per project.
 * Clusters are drawn as labelled nodes and opened on selection.
 */
import type { SecurityGroup } from '../neutron.js';
import type { Edge } from './elements.js';

/** Above this many groups the graph starts clustered; up to it every group is drawn, as before. */
export const CLUSTER_ABOVE = 400;

export interface Cluster {
  id: string;
  project: string;
  groups: string[];
  /** the group most references touch, which names the cluster; undefined for the groups no reference ties */
  hub?: string;
}

export interface Clustering {
  clusters: Map<string, Cluster>;
  /** each group's cluster */
  of: Map<string, string>;
  /** the projects' clusters, where there is more than one project (else the clusters are the first view) */
  projects?: Map<string, string[]>;
}

export const clusterNodeId = (id: string): string => `c:${id}`;
export const projectNodeId = (id: string): string => `j:${id}`;

export function clusterGroups(groups: readonly SecurityGroup[], edges: Iterable<Edge>): Clustering {
  const parent = new Map(groups.map((g) => [g.id, g.id]));
  const root = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const degree = new Map<string, number>();
  for (const e of edges) {
    degree.set(e.from, (degree.get(e.from) ?? 0) + 1);
    degree.set(e.to, (degree.get(e.to) ?? 0) + 1);
    if (e.from !== e.to) parent.set(root(e.from), root(e.to));
  }
  const size = new Map<string, number>();
  for (const g of groups) size.set(root(g.id), (size.get(root(g.id)) ?? 0) + 1);
  const clusters = new Map<string, Cluster>();
  const of = new Map<string, string>();
  for (const g of groups) {
    const alone = size.get(root(g.id)) === 1;
    // named by the component's first group in the cloud's order: stable while the component stands
    const id = `${g.project_id}/${alone ? '-' : root(g.id)}`;
    const c = clusters.get(id) ?? { id, project: g.project_id, groups: [] };
    c.groups.push(g.id);
    if (!alone && (c.hub === undefined || (degree.get(g.id) ?? 0) > (degree.get(c.hub) ?? 0))) c.hub = g.id;
    clusters.set(id, c);
    of.set(g.id, id);
  }
  const projects = new Map<string, string[]>();
  for (const c of clusters.values()) projects.set(c.project, [...(projects.get(c.project) ?? []), c.id]);
  return { clusters, of, projects: projects.size > 1 ? projects : undefined };
}

/** Up to this many clusters in all, projects start open (their clusters are the first view); beyond, the projects are. */
const OPEN_PROJECTS_UP_TO = 150;

/** Whether a cluster or project node is open before anything is selected. */
export const startsOpen = (c: Clustering, nodeId: string): boolean => nodeId.startsWith('j:') && c.clusters.size <= OPEN_PROJECTS_UP_TO;

/** The cluster and project nodes a group is inside (to open, so that it shows). */
export function containersOf(c: Clustering, groupId: string): string[] {
  const id = c.of.get(groupId);
  const cluster = id === undefined ? undefined : c.clusters.get(id);
  return cluster ? [clusterNodeId(cluster.id), projectNodeId(cluster.project)] : [];
}
