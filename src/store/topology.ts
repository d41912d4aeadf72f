/** The compiler's view of one compute node, read from the store: its ports are local, all others are members only. */
import { type Store } from './store.js';

export function topologyForHost(store: Store, host: string, options: Record<string, unknown> = {}): Record<string, unknown> {
  const rules = new Map<string, Record<string, unknown>[]>();
  for (const r of store.allRules()) {
    const list = rules.get(r.security_group_id) ?? [];
    list.push({
      id: r.id, direction: r.direction, ethertype: r.ethertype, protocol: r.protocol, port_range_min: r.port_range_min,
      port_range_max: r.port_range_max, remote_ip_prefix: r.remote_ip_prefix, remote_group_id: r.remote_group_id,
    });
    rules.set(r.security_group_id, list);
  }
  return {
    options,
    security_groups: store.allGroups().map((g) => ({ id: g.id, name: g.name, stateful: g.stateful, security_group_rules: rules.get(g.id) ?? [] })),
    ports: store.allPorts().map((p) => ({
      id: p.id,
      network_id: p.network_id,
      mac_address: p.mac_address,
      fixed_ips: p.fixed_ips,
      allowed_address_pairs: p.allowed_address_pairs,
      security_groups: p.security_groups,
      port_security_enabled: p.port_security_enabled,
      device_owner: p.device_owner,
      local: p.host_id === host,
    })),
  };
}
