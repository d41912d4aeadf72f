/**
 * The opposite of the seed's pitfall, on a backend whose remote groups leave
 * allowed-address pairs out (OVN: a port group's address set is built from the
 * ports' `addresses`, fixed IPs only): a VIP or a subnet a member port holds as
 * a pair is not a member, so the traffic from (or to) it that a rule naming the
 * group was meant to admit is dropped. Wide pairs are left alone: keeping them out
 * is what spares OVN the pitfall.
 */
import { type Finding } from '../answers.js';
import { type Cloud, groupLabel, groupRef, portLabel, portRef, ruleRef } from '../cloud.js';
import { atLeastAsWide } from '../../policy/membership.js';
import { BACKEND_SEMANTICS } from '../../policy/neutron-backends.js';
import { type AuditOptions } from './options.js';
import { ruleArgs, ruleSummary } from './wide-pairs.js';

const familyOf = (ip: string) => (ip.includes(':') ? 'IPv6' : 'IPv4');

export function ovnPairFindings(cloud: Cloud, o: AuditOptions): Finding[] {
  const { backend } = cloud.topology.options;
  if (BACKEND_SEMANTICS[backend].pairsAreMembers) return [];
  const out: Finding[] = [];
  for (const [groupId, naming] of cloud.rulesReferencing) {
    for (const port of cloud.portsOfGroup.get(groupId) ?? []) {
      if (cloud.kind(port.id) !== 'filtered') continue;
      for (const pair of port.allowed_address_pairs) {
        if (atLeastAsWide(pair.ip_address, o.widePair)) continue;
        const rules = naming.filter((r) => r.ethertype === familyOf(pair.ip_address));
        if (!rules.length) continue;
        const group = groupLabel(cloud, groupId);
        out.push({
          check: 'ovn-pair-not-member',
          severity: 'medium',
          title: `${portLabel(port)}'s allowed-address pair ${pair.ip_address} is not a member of group ${group} on ${backend}: rules naming ${group} drop its traffic`,
          objects: [groupRef(cloud, groupId), portRef(port), ...rules.map(ruleRef), ...rules.map((r) => groupRef(cloud, r.security_group_id))],
          evidence: [
            `port ${portLabel(port)} (${port.id}) is in group ${group} and has allowed-address pair ${pair.ip_address}`,
            `on ${backend} group ${group} stands for its ports' fixed IPs only (the pair is in the port's port_security, not its addresses)`,
            ...rules.map((r) => `${ruleSummary(cloud, r)} ${r.direction === 'ingress' ? 'drops sources in' : 'drops traffic to'} ${pair.ip_address}`),
          ],
          // the pair admitted by its address, beside each rule naming the group
          fix: rules.map((r) => `openstack security group rule create ${ruleArgs(r)} --remote-ip ${pair.ip_address} ${r.security_group_id}`),
        });
      }
    }
  }
  return out;
}
