/**
 * (a) The seed's pitfall: a remote group whose member port carries a wide
 * allowed-address pair, which the iptables/ipset backend adds to the group's
 * set — so every rule naming the group admits (or reaches) the whole pair.
 * (b) The same in a default group, whose stock "from remote group default"
 * rules then open every port of the project.
 */
import { type Finding } from '../answers.js';
import { type Cloud, groupLabel, groupRef, portLabel, portRef, push, ruleRef } from '../cloud.js';
import { serviceText } from '../exposure.js';
import { type Snapshot, type SnapshotPort, type SnapshotRule } from '../snapshot.js';
import { atLeastAsWide } from '../../policy/membership.js';
import { type CompileOptions } from '../../policy/topology.js';
import { type AuditOptions, isWidePair, pairFamily } from './options.js';

const BACKENDS = (pair: string) => ({
  'iptables/ipset (linuxbridge, ovs hybrid)': `the pair ${pair} is a member of the group's ipset: the rules admit every source in it`,
  'openvswitch firewall (since Ussuri)': `a /0 pair is pinned to the pair's MAC: only traffic from that port's MAC is admitted through the rule${pair.endsWith('/0') ? '' : '; other wide pairs are members as in iptables'}`,
  ovn: 'allowed-address pairs are not remote-group members: the rules admit the port\'s fixed IPs only',
});

export function ruleSummary(cloud: Cloud, r: SnapshotRule): string {
  const service = `${r.protocol ?? 'any'}${r.port_range_min === null ? '' : `/${serviceText({ portMin: r.port_range_min, portMax: r.port_range_max })}`}`;
  return `${r.direction} ${r.ethertype} ${service} ${r.direction === 'ingress' ? 'from' : 'to'} remote group ${groupLabel(cloud, r.remote_group_id!)} (rule ${r.id} of group ${groupLabel(cloud, r.security_group_id)})`;
}

/** The group's own rules, recreated in a new group, then the port moved there. */
function moveToOwnGroup(cloud: Cloud, port: SnapshotPort, groupId: string): string[] {
  const name = `${portLabel(port).replace(/[^\w.-]+/g, '-')}-only`;
  // a new group comes with Neutron's stock egress rules: recreating them would be refused as duplicates
  const stockEgress = (r: SnapshotRule) => r.direction === 'egress' && !r.protocol && !r.remote_ip_prefix && !r.remote_group_id;
  const rules = (cloud.rulesOfGroup.get(groupId) ?? []).filter((r) => !stockEgress(r)).map((r) => {
    // remote groups stay as they were: the port keeps admitting the old group's members
    const remote = r.remote_group_id ? ` --remote-group ${r.remote_group_id}` : r.remote_ip_prefix ? ` --remote-ip ${r.remote_ip_prefix}` : '';
    const ports = r.port_range_min === null ? '' : r.protocol === 'icmp' || r.protocol === 'ipv6-icmp'
      ? ` --icmp-type ${r.port_range_min}${r.port_range_max === null ? '' : ` --icmp-code ${r.port_range_max}`}`
      : ` --dst-port ${r.port_range_min}:${r.port_range_max}`;
    return `openstack security group rule create --${r.direction} --ethertype ${r.ethertype}${r.protocol ? ` --protocol ${r.protocol}` : ''}${ports}${remote} ${name}`;
  });
  return [
    `openstack security group create ${name} --description "${portLabel(port)} apart from ${groupLabel(cloud, groupId)}: its wide allowed-address pair must not widen rules naming ${groupLabel(cloud, groupId)}"`,
    ...rules,
    `openstack port unset --security-group ${groupId} ${port.id}`,
    `openstack port set --security-group ${name} ${port.id}`,
  ];
}

/** One instance of the pitfall: a port's wide pair in a group that rules name as remote group. */
export interface Pitfall {
  port: SnapshotPort;
  pair: { ip_address: string; mac_address?: string };
  groupId: string;
  rules: SnapshotRule[];
}

/**
 * Every pitfall in a snapshot; the audit and the API guard share this one definition.
 * Pairs that the compute nodes' safe expansion (`omitted`) leaves out of remote groups open nothing.
 */
export function pitfalls(s: Snapshot, o: Pick<AuditOptions, 'widePair'>, omitted: CompileOptions['omitWidePairs'] = null): Pitfall[] {
  const referencing = new Map<string, SnapshotRule[]>();
  for (const r of s.security_group_rules) if (r.remote_group_id) push(referencing, r.remote_group_id, r);
  const out: Pitfall[] = [];
  for (const port of s.ports) {
    if (port.port_security_enabled === false) continue;
    for (const pair of port.allowed_address_pairs) {
      if (!isWidePair(pair.ip_address, o) || (omitted && atLeastAsWide(pair.ip_address, omitted))) continue;
      for (const groupId of port.security_groups) {
        const rules = (referencing.get(groupId) ?? []).filter((r) => r.ethertype === pairFamily(pair.ip_address));
        if (rules.length) out.push({ port, pair, groupId, rules });
      }
    }
  }
  return out;
}

export const pitfallKey = (p: Pitfall) => `${p.groupId}|${p.port.id}|${p.pair.ip_address}`;

export function widePairFindings(cloud: Cloud, o: AuditOptions): Finding[] {
  return pitfalls(cloud.snapshot, o, cloud.topology.options.omitWidePairs).map(({ port, pair, groupId, rules }): Finding => {
    const opened = [...new Set(rules.map((r) => r.security_group_id))].flatMap((g) => cloud.portsOfGroup.get(g) ?? []);
    const isDefault = cloud.groups.get(groupId)?.name === 'default';
    return {
      check: isDefault ? 'wide-pair-in-default-group' : 'wide-pair-in-remote-group',
      severity: pair.ip_address.endsWith('/0') ? 'critical' : 'high',
      title: `${portLabel(port)}'s allowed-address pair ${pair.ip_address} widens every rule naming ${isDefault ? 'the default group' : 'group'} ${groupLabel(cloud, groupId)} to ${pair.ip_address}`,
      objects: [groupRef(cloud, groupId), portRef(port), ...rules.map(ruleRef), ...rules.map((r) => groupRef(cloud, r.security_group_id)), ...opened.map(portRef)],
      evidence: [
        `port ${portLabel(port)} (${port.id}) is in group ${groupLabel(cloud, groupId)} and has allowed-address pair ${pair.ip_address}${pair.mac_address ? ` (MAC ${pair.mac_address})` : ''}`,
        ...rules.map((r) => `${ruleSummary(cloud, r)} now ${r.direction === 'ingress' ? 'admits sources' : 'lets traffic out to'} ${pair.ip_address}`),
        `ports opened: ${opened.length ? opened.map((p) => portLabel(p)).join(', ') : 'none yet (the rules are in groups without ports)'}`,
      ],
      fix: moveToOwnGroup(cloud, port, groupId),
      backends: BACKENDS(pair.ip_address),
    };
  });
}
