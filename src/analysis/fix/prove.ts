/**
 * TEMPORARY STAND-IN (branch fixapply): fixcore's prove.ts replaces this file at merge. It offers
 * one hand-written fix for a wide pair in a remote group and proves nothing: `portsec fix` and its
 * test depend only on the signature of `fixesFor`, and the test judges the fix by re-auditing the
 * cloud it was applied to.
 */
import { type Finding } from '../answers.js';
import { type Cloud, groupLabel, portLabel } from '../cloud.js';
import { type AuditOptions } from '../audit/options.js';
import { type SnapshotRule } from '../snapshot.js';
import { type Fix, type FixAction, type FixRule } from './types.js';

const asFixRule = (r: SnapshotRule): FixRule => ({
  direction: r.direction, ethertype: r.ethertype, protocol: r.protocol, port_range_min: r.port_range_min, port_range_max: r.port_range_max,
  remote_ip_prefix: r.remote_group_id ? null : r.remote_ip_prefix, remote_group: r.remote_group_id ? { id: r.remote_group_id } : null,
});

/** Neutron's stock egress rule: any protocol to anywhere. */
const allEgress = (r: SnapshotRule) => r.direction === 'egress' && !r.protocol && !r.remote_group_id && (!r.remote_ip_prefix || r.remote_ip_prefix.endsWith('/0'));

/**
 * The port with the wide pair moves to a group of its own with its old group's rules; every rule
 * naming the old group as remote gains a prefix rule for the port's own fixed IPs, so what the port
 * itself could reach stays open and only the pair's addresses are closed.
 */
export function fixesFor(cloud: Cloud, finding: Finding, _o: AuditOptions): { offered: Fix[]; refused: { fix: Fix; why: string }[] } {
  const groupId = finding.objects.find((x) => x.type === 'security_group')?.id;
  const port = cloud.ports.get(finding.objects.find((x) => x.type === 'port')?.id ?? '');
  if (finding.check !== 'wide-pair-in-remote-group' || !groupId || !port) return { offered: [], refused: [] };
  const rules = cloud.rulesOfGroup.get(groupId) ?? [];
  const stockKept = (['IPv4', 'IPv6'] as const).every((family) => rules.some((r) => r.ethertype === family && allEgress(r)));
  const own = `${portLabel(port).replace(/[^\w.-]+/g, '-')}-only`;
  const naming = cloud.rulesReferencing.get(groupId) ?? [];
  const actions: FixAction[] = [
    {
      op: 'create-group', as: own, name: own, project: port.project_id, stockEgress: stockKept ? 'keep' : 'delete',
      description: `${portLabel(port)} apart from ${groupLabel(cloud, groupId)}: its allowed-address pair must not widen rules naming ${groupLabel(cloud, groupId)}`,
    },
    ...rules.filter((r) => !(stockKept && allEgress(r))).map((r): FixAction => ({ op: 'create-rule', group: { created: own }, rule: asFixRule(r) })),
    ...naming.flatMap((r) => port.fixed_ips.filter((ip) => ip.ip_address.includes(':') === (r.ethertype === 'IPv6')).map((ip): FixAction => ({
      op: 'create-rule',
      group: { id: r.security_group_id },
      rule: { ...asFixRule(r), remote_group: null, remote_ip_prefix: `${ip.ip_address}/${r.ethertype === 'IPv6' ? 128 : 32}`, description: `${portLabel(port)}'s own address, which left ${groupLabel(cloud, groupId)}` },
    }))),
    { op: 'set-port-groups', port: port.id, groups: port.security_groups.map((g) => (g === groupId ? { created: own } : { id: g })), revision: port.revision_number },
  ];
  return {
    offered: [{
      kind: 'move-port-to-own-group',
      title: `move ${portLabel(port)} to a group of its own with ${groupLabel(cloud, groupId)}'s rules; rules naming ${groupLabel(cloud, groupId)} admit its fixed IPs by prefix`,
      caveats: ['not proven on the snapshot: this build\'s stand-in for the fix prover offers it unchecked'],
      actions,
      proof: { closed: [], stayOpen: [], opened: [], findingGone: true, newFindings: [] },
    }],
    refused: [],
  };
}
