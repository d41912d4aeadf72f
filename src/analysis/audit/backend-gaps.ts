/**
 * What a backend does that the security groups do not say (policy/neutron-backends.ts): the
 * openvswitch firewall tracks the connections of stateless groups' ports as if they were
 * stateful, and drops their traffic of other ethertypes than IPv4, IPv6 and ARP. Each finding
 * is about the ports on nodes of that backend only, so a half-migrated cloud names the right ones.
 */
import { type Finding, type Found } from '../answers.js';
import { ownGroupCopy, replacedIn } from '../fix/build.js';
import { type Candidate, type FixAction } from '../fix/types.js';
import { type Cloud, groupLabel, groupRef, portLabel, portRef, push } from '../cloud.js';
import { type SnapshotPort } from '../snapshot.js';
import { BACKEND_SEMANTICS, type NeutronBackend } from '../../policy/neutron-backends.js';

/** The filtered ports of `ports`, by their nodes' backend. */
function byBackend(cloud: Cloud, ports: readonly SnapshotPort[]): Map<NeutronBackend, SnapshotPort[]> {
  const out = new Map<NeutronBackend, SnapshotPort[]>();
  for (const p of ports) if (cloud.kind(p.id) === 'filtered') push(out, cloud.backendAt(p.id).backend, p);
  return out;
}

const names = (ports: readonly SnapshotPort[]) => ports.map((p) => portLabel(p)).join(', ');

export function statelessIgnoredFindings(cloud: Cloud): Found[] {
  const out: Found[] = [];
  for (const g of cloud.snapshot.security_groups) {
    if (g.stateful !== false) continue;
    for (const [backend, ports] of byBackend(cloud, cloud.portsOfGroup.get(g.id) ?? [])) {
      if (BACKEND_SEMANTICS[backend].honoursStateless) continue;
      const group = groupLabel(cloud, g.id);
      out.push({
        check: 'stateless-group-tracked',
        severity: 'medium',
        title: `group ${group} is stateless, but the ${BACKEND_SEMANTICS[backend].label} ignores it: ${ports.length} port${ports.length > 1 ? 's' : ''} on ${backend} track connections`,
        objects: [groupRef(cloud, g.id), ...ports.map(portRef)],
        key: [g.id, backend],
        evidence: [
          `group ${group} (${g.id}) has stateful=false`,
          `on ${backend}: ${names(ports)}`,
          'the backend commits their flows to conntrack as for a stateful group: replies to admitted traffic pass without a rule, and traffic of an asymmetric path is dropped as invalid',
        ],
        backend,
      });
    }
  }
  return out;
}

export function nonIpDroppedFindings(cloud: Cloud): Found[] {
  return [...byBackend(cloud, cloud.snapshot.ports)].filter(([backend]) => BACKEND_SEMANTICS[backend].dropsNonIp).map(([backend, ports]): Found => ({
    check: 'non-ip-dropped',
    severity: 'info',
    title: `the ${BACKEND_SEMANTICS[backend].label} drops traffic other than IPv4, IPv6 and ARP from ${ports.length} port${ports.length > 1 ? 's' : ''} on ${backend}`,
    objects: ports.map(portRef),
    key: [backend],
    evidence: [
      `filtered ports on ${backend}: ${names(ports)}`,
      'security group rules name only IPv4 and IPv6: other ethertypes (LLDP, MPLS, InfiniBand, ...) pass only if the agent\'s [securitygroup] permitted_ethertypes lists them',
      `no API call changes it: if a port needs another ethertype, list it in [securitygroup] permitted_ethertypes on each ${backend} node and restart the agent`,
    ],
    backend,
  }));
}

/**
 * Neutron refuses to change a group's `stateful` while ports use it (SecurityGroupInUse): a
 * stateful copy in the group's project, the finding's ports moved to it, and the stateless group
 * deleted when nothing uses or names it any more.
 */
export function statefulCopyFixes(cloud: Cloud, f: Finding): Candidate[] {
  const groupId = f.objects[0].id;
  const group = cloud.groups.get(groupId);
  const ports = f.objects.flatMap((o) => (o.type === 'port' ? cloud.ports.get(o.id) ?? [] : []));
  if (!group || !ports.length) return [];
  const copy = ownGroupCopy(cloud, { ...ports[0], project_id: group.project_id, name: 'stateful' }, groupId, 'stateful', 'stateful, as the backend enforces it')
    .map((a): FixAction => (a.op === 'create-rule' && a.rule.remote_group && 'id' in a.rule.remote_group && a.rule.remote_group.id === groupId ? { ...a, rule: { ...a.rule, remote_group: { created: 'stateful' } } } : a));
  const moved = new Set(ports.map((p) => p.id));
  const left = (cloud.portsOfGroup.get(groupId) ?? []).some((p) => !moved.has(p.id)) || (cloud.rulesReferencing.get(groupId) ?? []).some((r) => r.security_group_id !== groupId);
  return [{
    kind: 'stateful-copy',
    title: `move ${ports.length} port(s) from stateless group ${groupLabel(cloud, groupId)} to a stateful copy of it`,
    caveats: ['the ports\' other groups must be stateful too (Neutron refuses a mix)'],
    actions: [...copy, ...ports.map((p): FixAction => ({ op: 'set-port-groups', port: p.id, groups: replacedIn(p, groupId, { created: 'stateful' }) })), ...(left ? [] : [{ op: 'delete-group', group: groupId } as FixAction])],
  }];
}
