/**
 * The analyzer's snapshot of a compiler topology (the golden harnesses' input):
 * the same ports, groups and rules as the API would list them, so a test can
 * ask can-reach about exactly the cloud a fixture's real Neutron code saw.
 * Networks are the ports' network ids; the topology has no subnets. Only the
 * ports and groups are read: a topology's options are the compiler's.
 */
import { type Snapshot } from '../../src/analysis/snapshot.js';
import { parseTopology } from '../../src/policy/topology.js';

const PROJECT = 'golden';

/** the compute node a topology describes, when its options name none */
const THIS_NODE = 'this-node';

/**
 * The topology's ports, groups and rules; a port's `binding:host_id` is the node's for its local ports
 * (options.host, else `this-node`), the input's or `another-node` for the others.
 */
export function topologySnapshot(input: { ports?: Record<string, any>[]; security_groups?: unknown[]; options?: { host?: string } }, source: string): Snapshot {
  const host = input.options?.host;
  const t = parseTopology({ ports: input.ports, security_groups: input.security_groups, options: host === undefined ? {} : { host } });
  const bindings = new Map((input.ports ?? []).map((p) => [p.id as string, p['binding:host_id'] as string | undefined]));
  const networks = [...new Set(t.ports.map((p) => p.network_id))];
  return {
    source,
    networks: networks.map((id) => ({ id, name: '', project_id: PROJECT })),
    subnets: [],
    ports: t.ports.map((p) => ({
      id: p.id, name: '', project_id: PROJECT, network_id: p.network_id, mac_address: p.mac_address,
      device_owner: p.device_owner, device_id: '', 'binding:host_id': p.local ? host ?? THIS_NODE : bindings.get(p.id) ?? 'another-node',
      fixed_ips: p.fixed_ips.map((ip) => ({ subnet_id: '', ip_address: ip })),
      allowed_address_pairs: p.allowed_address_pairs.map((a) => ({ ...a })),
      security_groups: [...p.security_groups],
      port_security_enabled: p.port_security_enabled,
    })),
    security_groups: [...t.groups.values()].map((g) => ({ id: g.id, name: g.name, project_id: PROJECT, stateful: g.stateful })),
    security_group_rules: [...t.groups.values()].flatMap((g) => g.rules.map((r) => ({
      id: r.id, security_group_id: g.id, direction: r.direction, ethertype: r.ethertype, protocol: r.protocol,
      port_range_min: r.port_range_min, port_range_max: r.port_range_max, remote_ip_prefix: r.remote_ip_prefix, remote_group_id: r.remote_group_id,
    }))),
  };
}
