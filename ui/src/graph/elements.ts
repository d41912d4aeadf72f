/**
 * The graph's elements: security groups are nodes, remote-group references are
 * edges in the direction traffic flows (an ingress rule of B naming remote group
 * A admits A → B; an egress rule of B naming A lets B → A out). An expanded group
 * is a compound node holding its member ports (a port in two groups appears in
 * both); a collapsed one shows its member count, widest pair and its members'
 * findings.
 */
import type { ElementDefinition } from 'cytoscape';
import type { Finding } from '../../../src/analysis/answers.js';
import { type Cloud, groupLabel, type Port, portLabel, ruleService, type SecurityGroupRule } from '../neutron.js';
import { drawnSeverity, type Marks, worst } from './marks.js';
import { prefixOf, widest, widthOf, WIDTHS } from './pairs.js';

/** What a graph element stands for; the console selects by it. */
export type Ref = { kind: 'group' | 'port' | 'edge'; id: string };

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

function portNode(p: Port, groupId: string, marks: Marks): ElementDefinition {
  const wide = widest(p.allowed_address_pairs.map((a) => a.ip_address));
  const flag = marks.get(p.id)?.length ? '⚠ ' : '';
  return {
    group: 'nodes',
    data: {
      id: portNodeId(p.id, groupId),
      parent: groupNodeId(groupId),
      ref: refKey({ kind: 'port', id: p.id }),
      label: `${flag}${portLabel(p)}\n${portAddresses(p).join(', ')}${pairLine(p)}`,
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
  expanded: (groupId: string) => boolean;
}

export function graphElements({ cloud, members, edges, marks, expanded }: GraphInput): ElementDefinition[] {
  const out: ElementDefinition[] = [];
  for (const g of cloud.groups) {
    const ports = members.get(g.id)!;
    const open = expanded(g.id) && ports.length > 0;
    const wide = open ? undefined : widest(ports.flatMap((p) => p.allowed_address_pairs.map((a) => a.ip_address)));
    const own = marks.get(g.id) ?? [];
    // a collapsed group stands for its ports: a finding on a member (the NAT server's wide pair) stays drawn on it
    const findings = open ? own : [...own, ...ports.flatMap((p) => marks.get(p.id) ?? [])];
    const flag = findings.length ? '⚠ ' : '';
    out.push({
      group: 'nodes',
      data: {
        id: groupNodeId(g.id),
        ref: refKey({ kind: 'group', id: g.id }),
        label: open ? `${flag}${groupLabel(g)}` : `${flag}${groupLabel(g)}\n${ports.length} port${ports.length === 1 ? '' : 's'}${wide ? ` · widest /${prefixOf(wide).length}` : ''}`,
      },
      // the widest pair as the border's colour and in the label, not as a badge: cytoscape draws the graph again when an image has loaded
      classes: `group ${open ? 'expanded' : 'collapsed'}${wide ? ` width-${widthOf(wide)}` : ''}${markClasses(findings)}`,
    });
    if (open) for (const p of ports) out.push(portNode(p, g.id, marks));
  }
  for (const e of edges) {
    const findings = e.rules.flatMap((r) => marks.get(r.id) ?? []);
    const top = worst(findings);
    const services = [...new Set(e.rules.map(ruleService))].join(', ');
    out.push({
      group: 'edges',
      data: {
        id: `e:${e.id}`,
        source: groupNodeId(e.from),
        target: groupNodeId(e.to),
        ref: refKey({ kind: 'edge', id: e.id }),
        label: top && drawnSeverity(top.severity) ? `${services}\n⚠ ${top.title}` : services,
      },
      classes: `reference${e.from === e.to ? ' loop' : ''}${markClasses(findings)}`,
    });
  }
  return out;
}
