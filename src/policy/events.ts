/**
 * Change events, in the shape test/golden/neutron_driver.py takes them: a port added,
 * updated (full port) or removed, a security group updated (full group).
 */
import { parseTopology, type Topology, type TopologyGroup, type TopologyPort } from './topology.js';

export type Event =
  | { op: 'add_port' | 'update_port'; port: Record<string, unknown> }
  | { op: 'remove_port'; id: string }
  | { op: 'update_security_group'; security_group: Record<string, unknown> };

/** An event with its port or group parsed against the topology's options and groups. */
export type ParsedEvent =
  | { op: 'set_port'; id: string; port: TopologyPort | undefined }
  | { op: 'set_group'; group: TopologyGroup };

export function parseEvent(t: Topology, e: Event): ParsedEvent {
  const rawGroups = [...t.groups.values()].map((g) => ({ id: g.id, stateful: g.stateful, security_group_rules: [] }));
  if (e.op === 'remove_port') return { op: 'set_port', id: e.id, port: undefined };
  if (e.op === 'update_security_group') {
    const id = e.security_group.id;
    const parsed = parseTopology({ options: {}, security_groups: [e.security_group, ...rawGroups.filter((g) => g.id !== id)] });
    return { op: 'set_group', group: parsed.groups.get(String(id))! };
  }
  const parsed = parseTopology({ options: { driver: t.options.driver, host: t.options.host }, security_groups: rawGroups, ports: [e.port] });
  return { op: 'set_port', id: parsed.ports[0].id, port: parsed.ports[0] };
}

/** The topology after an event (the port keeps its place; a new one goes last). */
export function applyEvent(t: Topology, e: ParsedEvent): Topology {
  if (e.op === 'set_group') return { ...t, groups: new Map(t.groups).set(e.group.id, e.group) };
  const at = t.ports.findIndex((p) => p.id === e.id);
  const ports = [...t.ports];
  if (!e.port) {
    if (at >= 0) ports.splice(at, 1);
  } else if (at >= 0) {
    ports[at] = e.port;
  } else {
    ports.push(e.port);
  }
  return { ...t, ports };
}
