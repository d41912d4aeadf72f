/**
 * (a) The seed's pitfall: a remote group whose member port carries a wide
 * allowed-address pair, which the iptables/ipset backend adds to the group's
 * set — so every rule naming the group admits (or reaches) the whole pair.
 * (b) The same in a default group, whose stock "from remote group default"
 * rules then open every port of the project.
 */
import { type Finding, type Found, type ReachQuery } from '../answers.js';
import { addressKey, type Cloud, groupLabel, groupRef, portLabel, portRef, push, ruleRef } from '../cloud.js';
import { formatIp } from '../../model/addresses.js';
import { intervalOf } from '../ranges.js';
import { serviceText } from '../exposure.js';
import { type SnapshotPort, type SnapshotRule } from '../snapshot.js';
import { BACKEND_SEMANTICS, type NeutronBackend } from '../../policy/neutron-backends.js';
import { isWidePair, type WideBlock, wideGroups } from '../../policy/wide-members.js';
import { holders } from './holders.js';
import { type AuditOptions, pairLimitIn } from './options.js';
import { fixRule, holds, hostPrefix, ownGroupCopy, replacedIn } from '../fix/build.js';
import { type Candidate, type FixAction } from '../fix/types.js';

const BACKENDS = (pair: string) => ({
  'iptables/ipset (linuxbridge, ovs hybrid)': `the pair ${pair} is a member of the group's ipset: the rules admit every source in it`,
  'openvswitch firewall (since Ussuri)': `a /0 pair is pinned to the pair's MAC: only traffic from that port's MAC is admitted through the rule${pair.endsWith('/0') ? '' : '; other wide pairs are members as in iptables'}`,
  ovn: 'allowed-address pairs are not remote-group members: the rules admit the port\'s fixed IPs only',
});

export function ruleSummary(cloud: Cloud, r: SnapshotRule): string {
  const service = `${r.protocol ?? 'any'}${r.port_range_min === null ? '' : `/${serviceText({ portMin: r.port_range_min, portMax: r.port_range_max })}`}`;
  return `${r.direction} ${r.ethertype} ${service} ${r.direction === 'ingress' ? 'from' : 'to'} remote group ${groupLabel(cloud, r.remote_group_id!)} (rule ${r.id} of group ${groupLabel(cloud, r.security_group_id)})`;
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

/** The backends of the group's filtered ports (the cloud's default without one). */
function groupBackends(cloud: Cloud, groupId: string): Iterable<NeutronBackend> {
  const { byBackend } = holders(cloud, groupId);
  return byBackend.size ? byBackend.keys() : [cloud.topology.options.backend];
}

/** The filtered ports holding one of the rules, on nodes of this backend (or any, for a rule no port holds). */
export function enforcing(cloud: Cloud, rules: readonly SnapshotRule[], backend: NeutronBackend): SnapshotPort[] {
  return [...new Set(rules.map((r) => r.security_group_id))].flatMap((g) => holders(cloud, g).byBackend.get(backend) ?? []);
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
      for (const wide of wideGroups(groupId, (f) => cloud.membersUnder(backend)(groupId, f), rules, pairLimitIn(cloud, o.widePair))) {
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
      key: [groupId, port.id, pair.ip_address, backend],
      evidence: [
        `port ${portLabel(port)} (${port.id}) is in group ${groupLabel(cloud, groupId)} and has allowed-address pair ${pair.ip_address}${pair.mac_address ? ` (MAC ${pair.mac_address})` : ''}`,
        ...(block.cidr === pair.ip_address ? [] : [`with ${block.pairs.filter((m) => m.ip !== pair.ip_address).map((m) => `${m.ip} of ${portLabel(cloud.ports.get(m.portId)!)}`).join(', ')} the group's pairs cover ${block.cidr}`]),
        ...rules.map((r) => `${ruleSummary(cloud, r)} now ${r.direction === 'ingress' ? 'admits sources' : 'lets traffic out to'} ${block.cidr}`),
        `ports opened: ${opened.length ? opened.map((p) => portLabel(p)).join(', ') : 'none yet (the rules are in groups without filtered ports)'}`,
      ],
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
          if (!port || !isWidePair(pairLimitIn(cloud, o.widePair), port.id, m.ip)) continue;
          const group = groupLabel(cloud, groupId);
          out.push({
            check: 'wide-pair-pinned-to-mac',
            severity: 'low',
            title: `${portLabel(port)}'s allowed-address pair ${m.ip} in group ${group} is pinned to MAC ${m.srcMac} on ${backend}: rules naming ${group} admit any source only from that port`,
            objects: [groupRef(cloud, groupId), portRef(port), ...inFamily.map(ruleRef), ...enforcing(cloud, inFamily, backend).map(portRef)],
            key: [groupId, port.id, m.ip, backend],
            evidence: [
              `port ${portLabel(port)} (${port.id}) is in group ${group} and has allowed-address pair ${m.ip} (MAC ${m.srcMac})`,
              `the ${BACKEND_SEMANTICS[backend].label} matches a member of prefix length ${BACKEND_SEMANTICS[backend].macPinnedPrefixlen} only in frames from its MAC`,
              ...inFamily.map((r) => `${ruleSummary(cloud, r)} admits every source address in frames from ${m.srcMac}`),
              'split into halves (0.0.0.0/1 + 128.0.0.0/1) the pair would not be pinned: every source from any MAC',
            ],
                  backends: BACKENDS(m.ip),
            backend,
          });
        }
      }
    }
  }
  return out;
}

/** An address of the pair's block no port holds: a foreign source the pitfall admits. */
function foreignIn(cloud: Cloud, cidr: string): string | undefined {
  const { family, interval: [lo, hi] } = intervalOf(cidr);
  const f = family === 4 ? 'IPv4' : 'IPv6';
  for (let v = lo + (hi - lo) / 2n + 7n; v <= hi && v > lo; v -= 1n) {
    if (!cloud.portsByFixedIp.has(addressKey({ family: f, value: v }))) return formatIp(family, v);
  }
  return undefined;
}

/**
 * The flows the finding is about, one each: from a foreign address of every wide pair the port
 * holds, and from the port's own fixed IP, to each port enforcing an ingress rule naming the group.
 */
function aboutFlows(cloud: Cloud, port: SnapshotPort, rules: readonly SnapshotRule[]): ReachQuery[] {
  const foreign = port.allowed_address_pairs.flatMap((p) => (p.ip_address.includes('/') ? foreignIn(cloud, p.ip_address) ?? [] : []));
  return rules.filter((r) => r.direction === 'ingress').flatMap((r) => (cloud.portsOfGroup.get(r.security_group_id) ?? []).filter((p) => p.id !== port.id && cloud.kind(p.id) === 'filtered')
    .flatMap((dst) => [undefined, ...foreign.filter((ip) => ip.includes(':') === (r.ethertype === 'IPv6'))].map((sourceIp): ReachQuery => ({
      src: port.id, dst: dst.id, protocol: r.protocol ?? 'tcp', ...(r.port_range_min !== null && { port: r.port_range_min }), ...(sourceIp && { sourceIp }),
    }))));
}

/**
 * The port moved to a group of its own with the old group's rules, so its wide pair is no member
 * of the group rules name: (a) with, beside every rule naming the old group, a rule for the port's
 * own fixed IPs, so what it reached as a member it still reaches from its own addresses; (b) the
 * plain move, which closes that too (the proof lists it).
 */
export function moveToOwnGroupFixes(cloud: Cloud, f: Finding): Candidate[] {
  const [groupRefd, portRefd] = f.objects;
  const port = cloud.ports.get(portRefd.id);
  const groupId = groupRefd.id;
  if (!port || !port.security_groups.includes(groupId)) return [];
  const naming = cloud.rulesReferencing.get(groupId) ?? [];
  const why = 'its wide allowed-address pair must not widen the rules naming the group';
  const copy = ownGroupCopy(cloud, port, groupId, 'own', why);
  const move: FixAction = { op: 'set-port-groups', port: port.id, groups: replacedIn(port, groupId, { created: 'own' }) };
  const ownAccess = naming.flatMap((r) => port.fixed_ips.filter((ip) => ip.ip_address.includes(':') === (r.ethertype === 'IPv6')).flatMap((ip): FixAction[] => {
    const rule = fixRule(r, { remote_group: null, remote_ip_prefix: hostPrefix(ip.ip_address), description: `${portLabel(port)}'s own address, once a member of ${groupLabel(cloud, groupId)}` });
    return holds(cloud, r.security_group_id, rule) ? [] : [{ op: 'create-rule', group: { id: r.security_group_id }, rule }];
  }));
  const about = aboutFlows(cloud, port, naming);
  const group = groupLabel(cloud, groupId);
  return [
    {
      kind: 'move-port-to-own-group-keep-own-access',
      title: `move ${portLabel(port)} from ${group} to a group of its own with ${group}'s rules, and admit its own fixed IPs where rules name ${group}`,
      caveats: [`${naming.length} rule(s) naming ${group} gain a rule for ${portLabel(port)}'s fixed IPs`],
      actions: [...copy, ...ownAccess, move],
      about,
    },
    {
      kind: 'move-port-to-own-group',
      title: `move ${portLabel(port)} from ${group} to a group of its own with ${group}'s rules`,
      caveats: [`rules naming ${group} no longer admit ${portLabel(port)} at all, its own fixed IPs included`],
      actions: [...copy, move],
      about,
    },
  ];
}
