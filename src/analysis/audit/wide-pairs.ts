/**
 * (a) The seed's pitfall: a remote group whose member port carries a wide
 * allowed-address pair, which the iptables/ipset backend adds to the group's
 * set — so every rule naming the group admits (or reaches) the whole pair.
 * (b) The same in a default group, whose stock "from remote group default"
 * rules then open every port of the project.
 */
import { type Found } from '../answers.js';
import { type Cloud, groupLabel, groupRef, portLabel, portRef, push, ruleRef } from '../cloud.js';
import { serviceText } from '../exposure.js';
import { type SnapshotPort, type SnapshotRule } from '../snapshot.js';
import { atLeastAsWide } from '../../policy/membership.js';
import { BACKEND_SEMANTICS, type NeutronBackend } from '../../policy/neutron-backends.js';
import { type WideBlock, wideGroups } from '../../policy/wide-members.js';
import { type AuditOptions } from './options.js';

const BACKENDS = (pair: string) => ({
  'iptables/ipset (linuxbridge, ovs hybrid)': `the pair ${pair} is a member of the group's ipset: the rules admit every source in it`,
  'openvswitch firewall (since Ussuri)': `a /0 pair is pinned to the pair's MAC: only traffic from that port's MAC is admitted through the rule${pair.endsWith('/0') ? '' : '; other wide pairs are members as in iptables'}`,
  ovn: 'allowed-address pairs are not remote-group members: the rules admit the port\'s fixed IPs only',
});

export function ruleSummary(cloud: Cloud, r: SnapshotRule): string {
  const service = `${r.protocol ?? 'any'}${r.port_range_min === null ? '' : `/${serviceText({ portMin: r.port_range_min, portMax: r.port_range_max })}`}`;
  return `${r.direction} ${r.ethertype} ${service} ${r.direction === 'ingress' ? 'from' : 'to'} remote group ${groupLabel(cloud, r.remote_group_id!)} (rule ${r.id} of group ${groupLabel(cloud, r.security_group_id)})`;
}

/** A rule's direction, ethertype and service as `openstack security group rule create` takes them. */
export function ruleArgs(r: SnapshotRule): string {
  const ports = r.port_range_min === null ? '' : r.protocol === 'icmp' || r.protocol === 'ipv6-icmp'
    ? ` --icmp-type ${r.port_range_min}${r.port_range_max === null ? '' : ` --icmp-code ${r.port_range_max}`}`
    : ` --dst-port ${r.port_range_min}:${r.port_range_max}`;
  return `--${r.direction} --ethertype ${r.ethertype}${r.protocol ? ` --protocol ${r.protocol}` : ''}${ports}`;
}

/** The group's own rules, recreated in a new group, then the port moved there. */
function moveToOwnGroup(cloud: Cloud, port: SnapshotPort, groupId: string): string[] {
  const name = `${portLabel(port).replace(/[^\w.-]+/g, '-')}-only`;
  // a new group comes with Neutron's stock egress rules: recreating them would be refused as duplicates
  const stockEgress = (r: SnapshotRule) => r.direction === 'egress' && !r.protocol && !r.remote_ip_prefix && !r.remote_group_id;
  const rules = (cloud.rulesOfGroup.get(groupId) ?? []).filter((r) => !stockEgress(r)).map((r) => {
    // remote groups stay as they were: the port keeps admitting the old group's members
    const remote = r.remote_group_id ? ` --remote-group ${r.remote_group_id}` : r.remote_ip_prefix ? ` --remote-ip ${r.remote_ip_prefix}` : '';
    return `openstack security group rule create ${ruleArgs(r)}${remote} ${name}`;
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
  /** the block the group's pairs cover together that this pair is part of */
  block: WideBlock;
  /** the backend of the nodes that enforce the rules (what the group's members are there) */
  backend: NeutronBackend;
}

/**
 * The rules naming a group, by the backend of the nodes that enforce them: the filtering node
 * decides what a remote group stands for, so a rule held by ports on two backends is judged on
 * each. A rule no filtered port holds yet is judged under the cloud's default backend.
 */
export function rulesByBackend(cloud: Cloud, naming: readonly SnapshotRule[]): Map<NeutronBackend, SnapshotRule[]> {
  const out = new Map<NeutronBackend, SnapshotRule[]>();
  for (const r of naming) for (const b of groupBackends(cloud, r.security_group_id)) push(out, b, r);
  return out;
}

/** Per cloud, the backends of each group's filtered ports (a group's rules are read once per remote group naming it). */
const backendsOfGroup = new WeakMap<Cloud, Map<string, readonly NeutronBackend[]>>();

function groupBackends(cloud: Cloud, groupId: string): readonly NeutronBackend[] {
  let known = backendsOfGroup.get(cloud);
  if (!known) backendsOfGroup.set(cloud, (known = new Map()));
  let backends = known.get(groupId);
  if (!backends) {
    const holders = (cloud.portsOfGroup.get(groupId) ?? []).filter((p) => cloud.kind(p.id) === 'filtered');
    known.set(groupId, (backends = holders.length ? [...new Set(holders.map((p) => cloud.backendAt(p.id).backend))] : [cloud.topology.options.backend]));
  }
  return backends;
}

/** The filtered ports holding one of the rules, on nodes of this backend (or any, for a rule no port holds). */
export function enforcing(cloud: Cloud, rules: readonly SnapshotRule[], backend: NeutronBackend): SnapshotPort[] {
  return [...new Set(rules.map((r) => r.security_group_id))].flatMap((g) => cloud.portsOfGroup.get(g) ?? [])
    .filter((p) => cloud.kind(p.id) === 'filtered' && cloud.backendAt(p.id).backend === backend);
}

/**
 * Every pitfall of a cloud, judged as the guard judges a write (wideGroups): over the
 * members the IR gives each remote group on the nodes enforcing the rules, so pairs that
 * safe expansion leaves out, that Neutron's server never hands over (a port without fixed
 * IPs), or that the backend never takes (OVN) or pins to their MAC (the openvswitch firewall's /0), open nothing.
 */
export function pitfalls(cloud: Cloud, o: Pick<AuditOptions, 'widePair'>): Pitfall[] {
  const out: Pitfall[] = [];
  for (const [groupId, naming] of cloud.rulesReferencing) {
    for (const [backend, rules] of rulesByBackend(cloud, naming)) {
      for (const wide of wideGroups(groupId, (f) => cloud.membersUnder(backend)(groupId, f), rules, o.widePair)) {
        for (const block of wide.blocks) {
          for (const m of block.pairs) {
            const port = cloud.ports.get(m.portId);
            if (port) out.push({ port, pair: { ip_address: m.ip, mac_address: m.mac ?? undefined }, groupId, rules: wide.rules, block, backend });
          }
        }
      }
    }
  }
  return out;
}

export function widePairFindings(cloud: Cloud, o: AuditOptions): Found[] {
  // the pitfalls of one wide group share its rules (one array) and backend: their ports opened are found once
  // (bench/audit: thousands of pitfalls each filtered the same hundreds of ports)
  const openedBy = new Map<readonly SnapshotRule[], Map<NeutronBackend, SnapshotPort[]>>();
  const openedFor = (rules: readonly SnapshotRule[], backend: NeutronBackend) => {
    let byBackend = openedBy.get(rules);
    if (!byBackend) openedBy.set(rules, (byBackend = new Map()));
    let ports = byBackend.get(backend);
    if (!ports) byBackend.set(backend, (ports = enforcing(cloud, rules, backend)));
    return ports;
  };
  return pitfalls(cloud, o).map(({ port, pair, groupId, rules, block, backend }): Found => {
    // the ports whose IR holds one of the rules, on the nodes whose members these are
    const opened = openedFor(rules, backend);
    const isDefault = cloud.groups.get(groupId)?.name === 'default';
    return {
      check: isDefault ? 'wide-pair-in-default-group' : 'wide-pair-in-remote-group',
      severity: block.prefixlen === 0 ? 'critical' : 'high',
      title: `${portLabel(port)}'s allowed-address pair ${pair.ip_address} widens every rule naming ${isDefault ? 'the default group' : 'group'} ${groupLabel(cloud, groupId)} to ${block.cidr}`,
      objects: [groupRef(cloud, groupId), portRef(port), ...rules.map(ruleRef), ...rules.map((r) => groupRef(cloud, r.security_group_id)), ...opened.map(portRef)],
      evidence: [
        `port ${portLabel(port)} (${port.id}) is in group ${groupLabel(cloud, groupId)} and has allowed-address pair ${pair.ip_address}${pair.mac_address ? ` (MAC ${pair.mac_address})` : ''}`,
        ...(block.cidr === pair.ip_address ? [] : [`with ${block.pairs.filter((m) => m.ip !== pair.ip_address).map((m) => `${m.ip} of ${portLabel(cloud.ports.get(m.portId)!)}`).join(', ')} the group's pairs cover ${block.cidr}`]),
        ...rules.map((r) => `${ruleSummary(cloud, r)} now ${r.direction === 'ingress' ? 'admits sources' : 'lets traffic out to'} ${block.cidr}`),
        `ports opened: ${opened.length ? opened.map((p) => portLabel(p)).join(', ') : 'none yet (the rules are in groups without filtered ports)'}`,
      ],
      fix: moveToOwnGroup(cloud, port, groupId),
      backends: BACKENDS(pair.ip_address),
      backend,
    };
  });
}

/**
 * The openvswitch firewall's mitigation, as a note: an exact /0 pair of a member is matched only
 * in frames from the pair's MAC (openvswitch_firewall/rules.py, bug 1867119), so the rules admit
 * that one port's traffic from any source address, not the whole Internet; a /1 split is not pinned
 * (the pitfall above).
 */
export function pinnedPairFindings(cloud: Cloud, o: AuditOptions): Found[] {
  const out: Found[] = [];
  for (const [groupId, naming] of cloud.rulesReferencing) {
    for (const [backend, rules] of rulesByBackend(cloud, naming)) {
      if (BACKEND_SEMANTICS[backend].macPinnedPrefixlen === null) continue;
      for (const family of ['IPv4', 'IPv6'] as const) {
        const inFamily = rules.filter((r) => r.ethertype === family);
        if (!inFamily.length) continue;
        for (const m of cloud.membersUnder(backend)(groupId, family)) {
          const port = m.srcMac && cloud.ports.get(m.portId);
          if (!port || !atLeastAsWide(m.ip, o.widePair)) continue;
          const group = groupLabel(cloud, groupId);
          out.push({
            check: 'wide-pair-pinned-to-mac',
            severity: 'low',
            title: `${portLabel(port)}'s allowed-address pair ${m.ip} in group ${group} is pinned to MAC ${m.srcMac} on ${backend}: rules naming ${group} admit any source only from that port`,
            objects: [groupRef(cloud, groupId), portRef(port), ...inFamily.map(ruleRef), ...enforcing(cloud, inFamily, backend).map(portRef)],
            evidence: [
              `port ${portLabel(port)} (${port.id}) is in group ${group} and has allowed-address pair ${m.ip} (MAC ${m.srcMac})`,
              `the ${BACKEND_SEMANTICS[backend].label} matches a member of prefix length ${BACKEND_SEMANTICS[backend].macPinnedPrefixlen} only in frames from its MAC`,
              ...inFamily.map((r) => `${ruleSummary(cloud, r)} admits every source address in frames from ${m.srcMac}`),
              'split into halves (0.0.0.0/1 + 128.0.0.0/1) the pair would not be pinned: every source from any MAC',
            ],
            fix: moveToOwnGroup(cloud, port, groupId),
            backends: BACKENDS(m.ip),
            backend,
          });
        }
      }
    }
  }
  return out;
}
