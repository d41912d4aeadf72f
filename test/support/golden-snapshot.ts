/**
 * A golden fixture's input (the compiler's topology, as the harnesses hand it to
 * Neutron's code) as the analyzer's Snapshot: the cloud the API would show
 * after creating it. Shared by the dataplane oracles (ovn-trace, ofproto/trace),
 * which compare what Neutron's rows do with what can-reach says of this snapshot.
 *
 * Subnets are the harnesses' stand-ins: the fixed IP's `subnet_id`, or one per
 * network and IP version when the input gives none, cidr the IP's /24 or /64.
 * Events are not applied: the snapshot is the topology the fixtures' `initial`
 * rows were written from.
 */
import { formatNetwork, parseIp } from '../../src/model/addresses.js';
import { type Snapshot, type SnapshotPort, type SnapshotSubnet } from '../../src/analysis/snapshot.js';
import { assemble, parseCollection } from '../../src/analysis/sources/schema.js';
import { DEFAULT_NETWORK, parseTopology } from '../../src/policy/topology.js';

type Json = Record<string, any>;

const PROJECT = 'golden';

export function goldenSnapshot(input: Json, source: string): Snapshot {
  const subnets = new Map<string, SnapshotSubnet>();
  const networks = new Set<string>();
  const ports = (input.ports as Json[]).map((p): Json => {
    const network = typeof p.network_id === 'string' ? p.network_id : DEFAULT_NETWORK;
    networks.add(network);
    const fixed = (p.fixed_ips ?? []).map((f: string | Json) => {
      const text = typeof f === 'string' ? f : f.ip_address;
      const ip = parseIp(text);
      if (!ip) throw new Error(`${source}: port ${p.id}: fixed IP ${JSON.stringify(text)}`);
      const id = (typeof f === 'string' ? undefined : f.subnet_id) ?? `${network}-v${ip.family}`;
      const prefixlen = ip.family === 4 ? 24 : 64;
      if (!subnets.has(id)) {
        subnets.set(id, { id, name: '', network_id: network, ip_version: ip.family, cidr: formatNetwork({ family: ip.family, address: ip.value, prefixlen }), gateway_ip: null });
      }
      return { subnet_id: id, ip_address: text };
    });
    const port: Json = {
      id: p.id, name: p.name ?? '', project_id: PROJECT, network_id: network, mac_address: p.mac_address,
      device_owner: p.device_owner ?? 'compute:nova', device_id: '', fixed_ips: fixed,
      allowed_address_pairs: p.allowed_address_pairs ?? [], security_groups: p.security_groups ?? [],
      port_security_enabled: p.port_security_enabled !== false,
    };
    return typeof p['binding:host_id'] === 'string' ? { ...port, 'binding:host_id': p['binding:host_id'] } : port;
  });
  // the rules as the API stores them: Neutron's own spellings (ethertype, protocol, ports), as the compiler parses them
  const topology = parseTopology({ ...input, options: {} });
  const groups = [...topology.groups.values()].map((g) => ({ id: g.id, name: g.name, project_id: PROJECT, stateful: g.stateful }));
  const rules = [...topology.groups.values()].flatMap((g) => g.rules.map((r) => ({
    id: r.id, security_group_id: g.id, direction: r.direction, ethertype: r.ethertype, protocol: r.protocol,
    port_range_min: r.port_range_min, port_range_max: r.port_range_max, remote_ip_prefix: r.remote_ip_prefix, remote_group_id: r.remote_group_id,
  })));
  return assemble(source, {
    networks: parseCollection('networks', [...networks].map((id) => ({ id, name: '', project_id: PROJECT })), source),
    subnets: parseCollection('subnets', [...subnets.values()], source),
    ports: parseCollection('ports', ports, source) as SnapshotPort[],
    security_groups: parseCollection('security_groups', groups, source),
    security_group_rules: parseCollection('security_group_rules', rules, source),
  });
}
