/**
 * The cloud as the web console draws it: the analyzer's snapshot (what the
 * caller's project sees, the objects its findings name) cut down to the
 * attributes the console reads. Neutron's own listings of 10,000 ports take the
 * server a second and a half to build; this is cut, in one answer, from the
 * snapshot the analysis holds anyway.
 */
import type { NeutronBackend } from '../policy/neutron-backends.js';
import type { Snapshot, SnapshotGroup, SnapshotNetwork, SnapshotPort, SnapshotRule } from '../analysis/snapshot.js';

/** `project_id`: the console clusters a large cloud's groups by project */
export type ConsoleGroup = Pick<SnapshotGroup, 'id' | 'name' | 'description' | 'project_id'>;
export type ConsoleRule = Pick<SnapshotRule, 'id' | 'security_group_id' | 'direction' | 'ethertype' | 'protocol'
  | 'port_range_min' | 'port_range_max' | 'remote_ip_prefix' | 'remote_group_id'>;
export interface ConsolePort extends Pick<SnapshotPort, 'id' | 'name' | 'network_id' | 'security_groups'> {
  fixed_ips: { ip_address: string }[];
  allowed_address_pairs: { ip_address: string }[];
  port_security_enabled: boolean;
  /** the firewall its node runs, where the import found it (bindings and agents, admins only): the Migration tab starts from the most common */
  backend?: NeutronBackend;
}
export type ConsoleNetwork = Pick<SnapshotNetwork, 'id' | 'name'>;

export interface ConsoleCloud {
  /** the last change it includes: what GET /analysis/v1/events counts */
  seq: number;
  security_groups: ConsoleGroup[];
  security_group_rules: ConsoleRule[];
  ports: ConsolePort[];
  networks: ConsoleNetwork[];
}

function found(s: Snapshot, id: string): { backend?: NeutronBackend } {
  const b = s.backends?.ports[id]?.backend;
  return b === undefined || b === 'unknown' ? {} : { backend: b };
}

export function consoleCloud(s: Snapshot, seq: number): ConsoleCloud {
  return {
    seq,
    security_groups: s.security_groups.map((g) => ({ id: g.id, name: g.name, description: g.description, project_id: g.project_id })),
    security_group_rules: s.security_group_rules.map((r) => ({
      id: r.id, security_group_id: r.security_group_id, direction: r.direction, ethertype: r.ethertype, protocol: r.protocol,
      port_range_min: r.port_range_min, port_range_max: r.port_range_max, remote_ip_prefix: r.remote_ip_prefix, remote_group_id: r.remote_group_id,
    })),
    ports: s.ports.map((p) => ({
      id: p.id, name: p.name, network_id: p.network_id, security_groups: p.security_groups,
      fixed_ips: p.fixed_ips.map((f) => ({ ip_address: f.ip_address })),
      allowed_address_pairs: p.allowed_address_pairs.map((a) => ({ ip_address: a.ip_address })),
      // a snapshot leaves it out where the cloud lacks the extension: then it is on
      port_security_enabled: p.port_security_enabled !== false,
      ...found(s, p.id),
    })),
    networks: s.networks.map((n) => ({ id: n.id, name: n.name })),
  };
}
