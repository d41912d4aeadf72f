/**
 * (g) Administrative services (ssh, rdp, vnc, databases, …) open to the
 * whole Internet, directly (no or a /0 remote prefix) or through a remote
 * group one of whose members carries a /0 pair.
 */
import { type Finding } from '../answers.js';
import { type Cloud, groupLabel, groupRef, portLabel, portRef, ruleRef } from '../cloud.js';
import { protocolName } from '../packet.js';
import { type SnapshotRule } from '../snapshot.js';
import { type AuditOptions } from './options.js';

const PORT_PROTOCOLS = new Set(['tcp', 'udp', 'sctp', 'dccp', 'udplite']);

function adminPortsOpened(r: SnapshotRule, admin: number[]): number[] {
  const p = protocolName(r.protocol);
  if (p && !PORT_PROTOCOLS.has(p)) return [];
  if (r.port_range_min === null) return admin;
  return admin.filter((n) => n >= r.port_range_min! && n <= (r.port_range_max ?? r.port_range_min!));
}

/** How the rule admits the whole Internet, or undefined. */
function worldVia(cloud: Cloud, r: SnapshotRule): string | undefined {
  if (r.remote_group_id) {
    const wide = cloud.members(r.remote_group_id, r.ethertype).find((m) => m.ip.endsWith('/0'));
    return wide && `remote group ${groupLabel(cloud, r.remote_group_id)}, whose member ${portLabel(cloud.ports.get(wide.portId)!)} has allowed-address pair ${wide.ip}`;
  }
  if (!r.remote_ip_prefix) return 'no remote prefix (any source)';
  return r.remote_ip_prefix.endsWith('/0') ? `remote prefix ${r.remote_ip_prefix}` : undefined;
}

export function adminPortFindings(cloud: Cloud, o: AuditOptions): Finding[] {
  const findings: Finding[] = [];
  for (const r of cloud.snapshot.security_group_rules) {
    if (r.direction !== 'ingress') continue;
    const opened = adminPortsOpened(r, o.adminPorts);
    if (!opened.length) continue;
    const via = worldVia(cloud, r);
    if (!via) continue;
    const ports = cloud.portsOfGroup.get(r.security_group_id) ?? [];
    if (!ports.length) continue;
    const group = groupLabel(cloud, r.security_group_id);
    const service = r.port_range_min === null ? `${r.protocol ?? 'any protocol'} (all ports)` : `${r.protocol}/${r.port_range_min}${r.port_range_max !== r.port_range_min ? `-${r.port_range_max}` : ''}`;
    findings.push({
      check: 'admin-port-open-to-world',
      severity: r.remote_group_id ? 'critical' : 'high',
      title: `group ${group} opens ${opened.length > 3 ? `${opened.length} admin ports` : opened.map((n) => `port ${n}`).join(', ')} to the whole Internet (${r.ethertype}) on ${ports.length} port(s)`,
      objects: [groupRef(cloud, r.security_group_id), ruleRef(r), ...ports.map(portRef)],
      evidence: [`rule ${r.id}: ingress ${r.ethertype} ${service} via ${via}`, `ports: ${ports.slice(0, 10).map((p) => portLabel(p)).join(', ')}${ports.length > 10 ? ', …' : ''}`],
      fix: r.remote_group_id
        ? [`# move the member with the /0 pair out of ${groupLabel(cloud, r.remote_group_id)} (see the wide-pair finding), or:`, `openstack security group rule delete ${r.id}`]
        : [`openstack security group rule delete ${r.id}`, `openstack security group rule create --ingress --ethertype ${r.ethertype}${r.protocol ? ` --protocol ${r.protocol}` : ''}${r.port_range_min === null ? '' : ` --dst-port ${r.port_range_min}:${r.port_range_max}`} --remote-ip <admin network> ${r.security_group_id}`],
    });
  }
  return findings;
}
