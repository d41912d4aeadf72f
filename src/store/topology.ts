/**
 * The compiler's view of the cloud, read from the store: ports and groups in
 * the input shape of policy/topology.ts. Ports bound to the compute node are
 * local; all others are remote-group members only.
 */
import { type Port } from '../model/port.js';
import { type SecurityGroup } from '../model/security-group.js';
import { type Rule } from '../model/security-group-rule.js';
import { type Repositories } from './repository.js';

export function portInput(p: Port, host: string): Record<string, unknown> {
  return {
    id: p.id,
    network_id: p.network_id,
    mac_address: p.mac_address,
    fixed_ips: p.fixed_ips,
    allowed_address_pairs: p.allowed_address_pairs,
    security_groups: p.security_groups,
    port_security_enabled: p.port_security_enabled,
    device_owner: p.device_owner,
    local: p.host_id === host,
  };
}

/** The groups (those of `ids`, in creation order, when given; else all) with their rules. */
export async function groupInputs(db: Repositories, ids?: readonly string[]): Promise<Record<string, unknown>[]> {
  const rules = new Map<string, Rule[]>();
  for (const r of await db.rules.list(ids && { where: { security_group_id: ids } })) {
    const list = rules.get(r.security_group_id);
    if (list) list.push(r);
    else rules.set(r.security_group_id, [r]);
  }
  // the addresses of the address groups the rules name, read once
  const named = [...new Set([...rules.values()].flat().map((r) => r.remote_address_group_id).filter((a) => a !== null))];
  const addresses = new Map((named.length ? await db.addressGroups.list({ where: { id: named } }) : []).map((a) => [a.id, a.addresses]));
  return (await db.securityGroups.list(ids && { where: { id: ids } })).map((g: SecurityGroup) => ({
    id: g.id,
    name: g.name,
    stateful: g.stateful,
    security_group_rules: (rules.get(g.id) ?? []).map((r) => ({
      id: r.id, direction: r.direction, ethertype: r.ethertype, protocol: r.protocol, port_range_min: r.port_range_min,
      port_range_max: r.port_range_max, remote_ip_prefix: r.remote_ip_prefix, remote_group_id: r.remote_group_id,
      ...(r.remote_address_group_id === null ? {} : {
        remote_address_group_id: r.remote_address_group_id, remote_address_group_addresses: addresses.get(r.remote_address_group_id),
      }),
    })),
  }));
}

export async function topologyForHost(db: Repositories, host: string, options: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return { options, security_groups: await groupInputs(db), ports: (await db.ports.list()).map((p) => portInput(p, host)) };
}
