/**
 * The opposite of the seed's pitfall, on a backend whose remote groups leave
 * allowed-address pairs out (OVN: a port group's address set is built from the
 * ports' `addresses`, fixed IPs only): a VIP or a subnet a member port holds as
 * a pair is not a member, so the traffic from (or to) it that a rule naming the
 * group was meant to admit is dropped. Wide pairs are left alone: keeping them out
 * is what spares OVN the pitfall.
 */
import { type Found } from '../answers.js';
import { type Cloud, groupLabel, groupRef, portLabel, portRef, ruleRef } from '../cloud.js';
import { isWidePair } from '../../policy/wide-members.js';
import { BACKEND_SEMANTICS, type NeutronBackend } from '../../policy/neutron-backends.js';
import { type SnapshotPort, type SnapshotRule } from '../snapshot.js';
import { type AuditOptions, pairLimitIn } from './options.js';
import { ruleArgs, rulesByBackend, ruleSummary } from './wide-pairs.js';

const familyOf = (ip: string) => (ip.includes(':') ? 'IPv6' : 'IPv4');

export function ovnPairFindings(cloud: Cloud, o: AuditOptions): Found[] {
  const out: Found[] = [];
  for (const [groupId, naming] of cloud.rulesReferencing) {
    // the nodes enforcing the rules decide what the group stands for, not the members' own
    for (const [backend, enforced] of rulesByBackend(cloud, naming)) {
      if (BACKEND_SEMANTICS[backend].pairsAreMembers) continue;
      for (const port of cloud.portsOfGroup.get(groupId) ?? []) {
        if (cloud.kind(port.id) !== 'filtered') continue;
        for (const pair of port.allowed_address_pairs) {
          if (isWidePair(pairLimitIn(cloud, o.widePair), port.id, pair.ip_address)) continue;
          const rules = enforced.filter((r) => r.ethertype === familyOf(pair.ip_address));
          if (rules.length) out.push(finding(cloud, groupId, port, pair.ip_address, rules, backend));
        }
      }
    }
  }
  return out;
}

function finding(cloud: Cloud, groupId: string, port: SnapshotPort, pair: string, rules: SnapshotRule[], backend: NeutronBackend): Found {
  const group = groupLabel(cloud, groupId);
  return {
    check: 'ovn-pair-not-member',
    severity: 'medium',
    title: `${portLabel(port)}'s allowed-address pair ${pair} is not a member of group ${group} on ${backend}: rules naming ${group} drop its traffic`,
    objects: [groupRef(cloud, groupId), portRef(port), ...rules.map(ruleRef), ...rules.map((r) => groupRef(cloud, r.security_group_id))],
    evidence: [
      `port ${portLabel(port)} (${port.id}) is in group ${group} and has allowed-address pair ${pair}`,
      `on ${backend} group ${group} stands for its ports' fixed IPs only (the pair is in the port's port_security, not its addresses)`,
      ...rules.map((r) => `${ruleSummary(cloud, r)} ${r.direction === 'ingress' ? 'drops sources in' : 'drops traffic to'} ${pair}`),
    ],
    // the pair admitted by its address, beside each rule naming the group
    fix: rules.map((r) => `openstack security group rule create ${ruleArgs(r)} --remote-ip ${pair} ${r.security_group_id}`),
    backend,
  };
}
