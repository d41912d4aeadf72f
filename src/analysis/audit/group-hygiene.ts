/**
 * (e) rules another rule of the same group already covers, (f) rules whose
 * remote group has no members (they admit nothing), (h) groups no port uses
 * and no rule names.
 */
import { type Finding, type Found } from '../answers.js';
import { type Candidate } from '../fix/types.js';
import { type Cloud, groupLabel, groupRef, ruleRef } from '../cloud.js';
import { hasPorts, ruleProtocol } from '../packet.js';
import { intervalOf } from '../ranges.js';
import { type SnapshotRule } from '../snapshot.js';
import { holders } from './holders.js';
import { ruleSummary } from './wide-pairs.js';

function ruleText(cloud: Cloud, r: SnapshotRule): string {
  if (r.remote_group_id) return ruleSummary(cloud, r);
  const ports = r.port_range_min === null ? '' : `/${r.port_range_min}${r.port_range_max !== null && r.port_range_max !== r.port_range_min ? `-${r.port_range_max}` : ''}`;
  return `${r.direction} ${r.ethertype} ${r.protocol ?? 'any'}${ports} ${r.direction === 'ingress' ? 'from' : 'to'} ${r.remote_ip_prefix ?? 'anywhere'} (rule ${r.id} of group ${groupLabel(cloud, r.security_group_id)})`;
}

/** Whether every packet `inner` matches, `outer` matches too. */
export function covers(outer: SnapshotRule, inner: SnapshotRule): boolean {
  if (outer.direction !== inner.direction || outer.ethertype !== inner.ethertype) return false;
  const po = ruleProtocol(outer.protocol);
  const pi = ruleProtocol(inner.protocol);
  if (po !== null && po !== pi) return false;
  if (po !== null && outer.port_range_min !== null) {
    if (inner.port_range_min === null) return false;
    if (hasPorts(po)) {
      if (outer.port_range_min > inner.port_range_min || (outer.port_range_max ?? outer.port_range_min) < (inner.port_range_max ?? inner.port_range_min)) return false;
    } else if (outer.port_range_min !== inner.port_range_min || (outer.port_range_max !== null && outer.port_range_max !== inner.port_range_max)) return false;
  }
  if (outer.remote_group_id) return outer.remote_group_id === inner.remote_group_id;
  if (!outer.remote_ip_prefix || outer.remote_ip_prefix.endsWith('/0')) return true;
  if (!inner.remote_ip_prefix || inner.remote_group_id) return false;
  const o = intervalOf(outer.remote_ip_prefix).interval;
  const i = intervalOf(inner.remote_ip_prefix).interval;
  return o[0] <= i[0] && i[1] <= o[1];
}

export function shadowedFindings(cloud: Cloud): Found[] {
  const findings: Found[] = [];
  for (const [groupId, rules] of cloud.rulesOfGroup) {
    rules.forEach((inner, i) => {
      // of two rules covering each other, report the later one only
      const outer = rules.find((o, j) => j !== i && covers(o, inner) && (j < i || !covers(inner, o)));
      if (!outer) return;
      findings.push({
        check: 'redundant-rule',
        severity: 'low',
        title: `rule ${inner.id} of group ${groupLabel(cloud, groupId)} is shadowed by rule ${outer.id}`,
        objects: [groupRef(cloud, groupId), ruleRef(inner), ruleRef(outer)],
        evidence: [`${ruleText(cloud, inner)}`, `is already covered by ${ruleText(cloud, outer)}`],
      });
    });
  }
  return findings;
}

export function emptyRemoteGroupFindings(cloud: Cloud): Found[] {
  const findings: Found[] = [];
  for (const [groupId, rules] of cloud.rulesReferencing) {
    for (const r of rules) {
      // a rule of a group without filtered ports is in force nowhere
      if (cloud.members(groupId, r.ethertype).length || !holders(cloud, r.security_group_id).ports.length) continue;
      findings.push({
        check: 'empty-remote-group',
        severity: 'low',
        title: `rule ${r.id} of group ${groupLabel(cloud, r.security_group_id)} names remote group ${groupLabel(cloud, groupId)}, which has no ${r.ethertype} members`,
        objects: [ruleRef(r), groupRef(cloud, r.security_group_id), groupRef(cloud, groupId)],
        evidence: [`${ruleText(cloud, r)} matches nothing: no port of group ${groupLabel(cloud, groupId)} has an ${r.ethertype} address or pair`],
      });
    }
  }
  return findings;
}

export function unusedGroupFindings(cloud: Cloud): Found[] {
  return cloud.snapshot.security_groups
    .filter((g) => g.name !== 'default' && !cloud.portsOfGroup.get(g.id)?.length && !cloud.rulesReferencing.get(g.id)?.some((r) => r.security_group_id !== g.id))
    .map((g): Found => ({
      check: 'unused-group',
      severity: 'info',
      title: `group ${groupLabel(cloud, g.id)} has no ports and no other group's rule names it`,
      objects: [groupRef(cloud, g.id)],
      evidence: [`group ${g.name || g.id} (${g.id}): 0 ports, ${cloud.rulesOfGroup.get(g.id)?.length ?? 0} rules`],
    }));
}

/** A redundant rule or one naming an empty group, deleted: the proof shows it admitted nothing the group's other rules do not. */
export function deleteRuleFixes(cloud: Cloud, f: Finding): Candidate[] {
  const rule = f.objects.find((o) => o.type === 'security_group_rule');
  return rule && cloud.rules.has(rule.id)
    ? [{ kind: 'delete-rule', title: `delete rule ${rule.id} of group ${groupLabel(cloud, cloud.rules.get(rule.id)!.security_group_id)}`, caveats: [], actions: [{ op: 'delete-rule', rule: rule.id }] }]
    : [];
}

export function deleteGroupFixes(cloud: Cloud, f: Finding): Candidate[] {
  const group = f.objects[0];
  return cloud.groups.has(group.id) ? [{ kind: 'delete-group', title: `delete group ${groupLabel(cloud, group.id)}`, caveats: [], actions: [{ op: 'delete-group', group: group.id }] }] : [];
}
