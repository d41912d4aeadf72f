/**
 * The graph's elements: security groups are nodes (a large cloud's inside
 * clusters, clusters.ts, opened on selection), remote-group references are
 * edges in the direction traffic flows (an ingress rule of B naming remote group
 * A admits A → B; an egress rule of B naming A lets B → A out). An expanded group
 * is a compound node holding its member ports (a port in two groups appears in
 * both); a collapsed one shows its member count, widest pair and its members'
 * findings.
 */
import type { ElementDefinition } from 'cytoscape';
import type { Finding } from '../../../src/analysis/answers.js';
import { type Cloud, type Port, ruleService, type SecurityGroupRule } from '../neutron.js';
import { type Clustering, clusterNodeId, projectNodeId } from './clusters.js';
import { drawnSeverity, type Marks, throughFinding, worst } from './marks.js';
import { prefixOf, widest, widthOf, WIDTHS } from './pairs.js';

/** What a graph element stands for; the console selects by it. */
export type Ref = { kind: 'group' | 'port' | 'edge' | 'cluster' | 'project'; id: string };

export const refKey = (r: Ref): string => `${r.kind}:${r.id}`;
export function parseRef(key: string): Ref {
  const i = key.indexOf(':');
  return { kind: key.slice(0, i) as Ref['kind'], id: key.slice(i + 1) };
}

export const groupNodeId = (groupId: string): string => `g:${groupId}`;
export const portNodeId = (portId: string, groupId: string): string => `p:${portId}@${groupId}`;

export interface Edge {
  id: string;
  from: string;
  to: string;
  rules: SecurityGroupRule[];
}

const ends = (r: SecurityGroupRule, remote: string): [string, string] =>
  r.direction === 'ingress' ? [remote, r.security_group_id] : [r.security_group_id, remote];

/** The edge a remote-group rule is drawn on. */
export function edgeOf(r: SecurityGroupRule): Ref | undefined {
  if (r.remote_group_id === null) return undefined;
  const [from, to] = ends(r, r.remote_group_id);
  return { kind: 'edge', id: `${from}>${to}` };
}

/** One edge per (from, to) pair of groups, carrying every rule between them. */
export function referenceEdges(cloud: Cloud): Edge[] {
  const visible = new Set(cloud.groups.map((g) => g.id));
  const edges = new Map<string, Edge>();
  for (const r of cloud.rules) {
    if (r.remote_group_id === null || !visible.has(r.remote_group_id) || !visible.has(r.security_group_id)) continue;
    const [from, to] = ends(r, r.remote_group_id);
    const id = `${from}>${to}`;
    const edge = edges.get(id) ?? { id, from, to, rules: [] };
    edge.rules.push(r);
    edges.set(id, edge);
  }
  return [...edges.values()];
}

export function membersByGroup(cloud: Cloud): Map<string, Port[]> {
  const members = new Map<string, Port[]>(cloud.groups.map((g) => [g.id, []]));
  for (const p of cloud.ports) for (const g of p.security_groups) members.get(g)?.push(p);
  return members;
}

export const portAddresses = (p: Port): string[] => p.fixed_ips.map((f) => f.ip_address);

const badges = new Map<string, string>();

/** A pill with the widest pair's prefix ("/0", "/32") in its width's colour, as an SVG data URI. */
function badge(address: string): string {
  const text = `/${prefixOf(address).length}`;
  const colour = WIDTHS[widthOf(address)].colour;
  const key = `${text}${colour}`;
  let uri = badges.get(key);
  if (!uri) {
    const w = 10 + text.length * 8;
    uri = `data:image/svg+xml;utf8,${encodeURIComponent(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="18" viewBox="0 0 ${w} 18">`
      + `<rect width="${w}" height="18" rx="9" fill="${colour}"/>`
      + `<text x="${w / 2}" y="13" font-family="sans-serif" font-size="12" font-weight="700" fill="#fff" text-anchor="middle">${text}</text></svg>`)}`;
    badges.set(key, uri);
  }
  return uri;
}

function markClasses(findings: Finding[] | undefined): string {
  const drawn = drawnSeverity(worst(findings)?.severity);
  return drawn ? ` finding-${drawn}` : '';
}

function pairLine(p: Port): string {
  const pairs = p.allowed_address_pairs.map((a) => a.ip_address);
  if (!pairs.length) return '';
  return `\npair ${pairs.slice(0, 2).join(', ')}${pairs.length > 2 ? ` +${pairs.length - 2}` : ''}`;
}

function portNode(p: Port, groupId: string, { marks, short }: GraphInput): ElementDefinition {
  const wide = widest(p.allowed_address_pairs.map((a) => a.ip_address));
  const flag = marks.get(p.id)?.length ? '⚠ ' : '';
  return {
    group: 'nodes',
    data: {
      id: portNodeId(p.id, groupId),
      parent: groupNodeId(groupId),
      ref: refKey({ kind: 'port', id: p.id }),
      label: `${flag}${short(p.id)}\n${portAddresses(p).join(', ')}${pairLine(p)}`,
      title: `port ${p.name || p.id}`,
      ...(wide ? { badge: badge(wide) } : {}),
    },
    classes: `port width-${wide ? widthOf(wide) : 'none'}${markClasses(marks.get(p.id))}`,
  };
}

export interface GraphInput {
  cloud: Cloud;
  /** membersByGroup and referenceEdges of the cloud, as the console's index holds them */
  members: Map<string, Port[]>;
  edges: Iterable<Edge>;
  marks: Marks;
  /** a group's or port's name as drawn (shortNames) */
  short: (id: string) => string;
  /** whether a group shows its ports */
  expanded: (groupId: string) => boolean;
  /** a large cloud's clusters; undefined: every group is drawn */
  clusters?: Clustering;
  /** whether a cluster or project node (by node id) is open */
  open: (nodeId: string) => boolean;
}

/** Above this many references drawn, edges are labelled only when selected or hovered (their labels would cover each other). */
const LABELLED_EDGES = 12;

const plural = (n: number, what: string) => `${n.toLocaleString('en')} ${what}${n === 1 ? '' : 's'}`;

/** A cluster or project, collapsed or open: its label says what is inside and the worst finding there. */
function containerNode(id: string, ref: Ref, name: string, groups: string[], input: GraphInput, isOpen: boolean, parent?: string): ElementDefinition {
  const ports = new Set<string>();
  const findings = new Set<Finding>();
  for (const g of groups) {
    for (const f of input.marks.get(g) ?? []) findings.add(f);
    for (const p of input.members.get(g) ?? []) {
      ports.add(p.id);
      for (const f of input.marks.get(p.id) ?? []) findings.add(f);
    }
  }
  const top = worst([...findings]);
  const counts = `${plural(groups.length, 'group')} · ${plural(ports.size, 'port')}`;
  return {
    group: 'nodes',
    data: {
      id, ref: refKey(ref), ...(parent && { parent }),
      label: isOpen ? `${name} (${counts})` : `${name}\n${counts}${top ? `\n⚠ ${top.severity} · ${plural(findings.size, 'finding')}` : ''}`,
      title: `${name}: ${counts}${top ? `; ${plural(findings.size, 'finding')}, worst ${top.severity}` : ''}`,
    },
    classes: `${ref.kind} ${isOpen ? 'expanded' : 'collapsed'}${markClasses([...findings])}`,
  };
}

/** The clusters and projects a large cloud shows, and the node each group is drawn as (its own, or the closed container it is in). */
function containers(c: Clustering, input: GraphInput, out: ElementDefinition[]): { shown: (groupId: string) => boolean; at: (groupId: string) => string; parentOf: (groupId: string) => string } {
  const { short, open } = input;
  for (const [project, ids] of c.projects ?? []) {
    const groups = ids.flatMap((id) => c.clusters.get(id)!.groups);
    out.push(containerNode(projectNodeId(project), { kind: 'project', id: project }, `project ${project.slice(0, 8)}`, groups, input, open(projectNodeId(project))));
  }
  for (const cl of c.clusters.values()) {
    const parent = c.projects && projectNodeId(cl.project);
    if (parent && !open(parent)) continue;
    const name = cl.hub === undefined ? 'groups without references' : `${short(cl.hub)}${cl.groups.length > 1 ? ` +${cl.groups.length - 1}` : ''}`;
    out.push(containerNode(clusterNodeId(cl.id), { kind: 'cluster', id: cl.id }, name, cl.groups, input, open(clusterNodeId(cl.id)), parent));
  }
  const cluster = (g: string) => c.clusters.get(c.of.get(g)!)!;
  const at = (g: string) => {
    const cl = cluster(g);
    if (c.projects && !open(projectNodeId(cl.project))) return projectNodeId(cl.project);
    return open(clusterNodeId(cl.id)) ? groupNodeId(g) : clusterNodeId(cl.id);
  };
  return { shown: (g) => at(g) === groupNodeId(g), at, parentOf: (g) => clusterNodeId(cluster(g).id) };
}

export function graphElements(input: GraphInput): ElementDefinition[] {
  const { cloud, members, edges, marks, expanded, short, clusters } = input;
  const out: ElementDefinition[] = [];
  const place = clusters ? containers(clusters, input, out) : { shown: () => true, at: groupNodeId, parentOf: () => undefined };
  for (const g of cloud.groups) {
    if (!place.shown(g.id)) continue;
    const ports = members.get(g.id)!;
    const open = expanded(g.id) && ports.length > 0;
    const wide = open ? undefined : widest(ports.flatMap((p) => p.allowed_address_pairs.map((a) => a.ip_address)));
    const own = marks.get(g.id) ?? [];
    // a collapsed group stands for its ports: a finding on a member (the NAT server's wide pair) stays drawn on it
    const findings = open ? own : [...own, ...ports.flatMap((p) => marks.get(p.id) ?? [])];
    const flag = findings.length ? '⚠ ' : '';
    const parent = place.parentOf(g.id);
    out.push({
      group: 'nodes',
      data: {
        id: groupNodeId(g.id),
        ref: refKey({ kind: 'group', id: g.id }),
        ...(parent && { parent }),
        label: open ? `${flag}${short(g.id)}` : `${flag}${short(g.id)}\n${plural(ports.length, 'port')}${wide ? ` · widest /${prefixOf(wide).length}` : ''}`,
        title: `group ${g.name || g.id}`,
      },
      // the widest pair as the border's colour and in the label, not as a badge: cytoscape draws the graph again when an image has loaded
      classes: `group ${open ? 'expanded' : 'collapsed'}${wide ? ` width-${widthOf(wide)}` : ''}${markClasses(findings)}`,
    });
    if (open) for (const p of ports) out.push(portNode(p, g.id, input));
  }
  // references between drawn groups as they are; those into a closed cluster or project, one line per pair of nodes
  const lines = new Map<string, Edge[]>();
  for (const e of edges) {
    const key = `${place.at(e.from)}>${place.at(e.to)}`;
    lines.set(key, [...(lines.get(key) ?? []), e]);
  }
  const quiet = lines.size > LABELLED_EDGES ? ' quiet' : '';
  for (const [key, es] of lines) {
    const [source, target] = key.split('>');
    const single = es.length === 1 && source === groupNodeId(es[0].from) && target === groupNodeId(es[0].to);
    // a closed container's own references are inside it
    if (!single && source === target) continue;
    const rules = es.flatMap((e) => e.rules);
    const findings = [...new Set(rules.flatMap((r) => marks.get(r.id) ?? []))];
    const top = worst(findings);
    const through = throughFinding(findings);
    const worstEdge = es.find((e) => e.rules.some((r) => marks.get(r.id)?.includes(top!))) ?? es[0];
    const services = single ? [...new Set(rules.map(ruleService))].join(', ') : plural(es.length, 'reference');
    const flagged = top && drawnSeverity(top.severity) ? `\n⚠ ${top.title}` : '';
    out.push({
      group: 'edges',
      data: {
        id: single ? `e:${es[0].id}` : `e:${key}`,
        source,
        target,
        ref: refKey({ kind: 'edge', id: worstEdge.id }),
        label: through ? `${services}: allowed only through a finding\n⚠ ${through.title}` : `${services}${flagged}`,
        ...(through && { finding: through.id }),
      },
      classes: `reference${source === target ? ' loop' : ''}${through ? ' through-finding' : ''}${quiet}${markClasses(findings)}`,
    });
  }
  return out;
}
