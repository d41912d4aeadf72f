/**
 * The opposite of the seed's pitfall, on a backend whose remote groups leave
 * allowed-address pairs out (OVN: a port group's address set is built from the
 * ports' `addresses`, fixed IPs only): a VIP or a subnet a member port holds as
 * a pair is not a member, so the traffic from (or to) it that a rule naming the
 * group was meant to admit is dropped. Wide pairs are left alone: keeping them out
 * is what spares OVN the pitfall.
 */
import { type Finding, type Found } from '../answers.js';
import { fixRule, holds } from '../fix/build.js';
import { type Candidate, type FixAction } from '../fix/types.js';
import { type Cloud, groupLabel, groupRef, portLabel, portRef, ruleRef } from '../cloud.js';
import { isWidePair } from '../../policy/wide-members.js';
import { BACKEND_SEMANTICS, type NeutronBackend } from '../../policy/neutron-backends.js';
import { type SnapshotPort, type SnapshotRule } from '../snapshot.js';
import { holders } from './holders.js';
import { type AuditOptions, pairLimitIn } from './options.js';
import { covers } from './group-hygiene.js';
import { rulesByBackend, ruleSummary } from './wide-pairs.js';

const familyOf = (ip: string) => (ip.includes(':') ? 'IPv6' : 'IPv4');

export function ovnPairFindings(cloud: Cloud, o: AuditOptions): Found[] {
  const out: Found[] = [];
  for (const [groupId, naming] of cloud.rulesReferencing) {
    // the nodes enforcing the rules decide what the group stands for, not the members' own
    for (const [backend, enforced] of rulesByBackend(cloud, naming)) {
      if (BACKEND_SEMANTICS[backend].pairsAreMembers) continue;
      for (const port of holders(cloud, groupId).ports) {
        for (const pair of port.allowed_address_pairs) {
          if (isWidePair(pairLimitIn(cloud, o.widePair), port.id, pair.ip_address)) continue;
          // a rule already admitting the pair by its address beside it (the fix) leaves nothing dropped
          const rules = enforced.filter((r) => r.ethertype === familyOf(pair.ip_address)
            && !(cloud.rulesOfGroup.get(r.security_group_id) ?? []).some((o) => covers(o, { ...r, remote_group_id: null, remote_ip_prefix: pair.ip_address })));
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
    key: [groupId, port.id, pair, backend],
    evidence: [
      `port ${portLabel(port)} (${port.id}) is in group ${group} and has allowed-address pair ${pair}`,
      `on ${backend} group ${group} stands for its ports' fixed IPs only (the pair is in the port's port_security, not its addresses)`,
      ...rules.map((r) => `${ruleSummary(cloud, r)} ${r.direction === 'ingress' ? 'drops sources in' : 'drops traffic to'} ${pair}`),
    ],
    backend,
  };
}

/** Beside each rule naming the group, the same rule for the member's pair by its address: it restores what the rule was meant to admit from (or send to) the pair, no more. */
export function pairPrefixFixes(cloud: Cloud, f: Finding, o: AuditOptions): Candidate[] {
  const port = cloud.ports.get(f.objects[1]?.id ?? '');
  const rules = f.objects.filter((x) => x.type === 'security_group_rule').flatMap((x) => cloud.rules.get(x.id) ?? []);
  if (!port) return [];
  const pairs = port.allowed_address_pairs.map((p) => p.ip_address).filter((ip) => !isWidePair(pairLimitIn(cloud, o.widePair), port.id, ip) && rules.some((r) => r.ethertype === familyOf(ip)));
  return pairs.flatMap((pair): Candidate[] => {
    const mine = rules.filter((r) => r.ethertype === familyOf(pair));
    const actions = mine.map((r) => ({ r, rule: fixRule(r, { remote_group: null, remote_ip_prefix: pair, description: `${portLabel(port)}'s pair ${pair}, not a member on ovn` }) }))
      .filter(({ r, rule }) => !holds(cloud, r.security_group_id, rule)).map(({ r, rule }): FixAction => ({ op: 'create-rule', group: { id: r.security_group_id }, rule }));
    const any = familyOf(pair) === 'IPv4' ? '0.0.0.0/0' : '::/0';
    return [{
      kind: 'admit-pair-by-prefix',
      title: `admit ${portLabel(port)}'s pair ${pair} by its address beside ${mine.length} rule(s) naming group ${groupLabel(cloud, f.objects[0].id)}`,
      caveats: ['the prefix rules do not follow the pair: remove them with it'],
      actions,
      restores: mine.map((r) => ({
        destination: { address: r.direction === 'ingress' ? any : pair, ports: [] }, ethertype: r.ethertype, protocol: r.protocol ?? 'any',
        ports: r.port_range_min === null ? 'any' : r.port_range_min === r.port_range_max || r.port_range_max === null ? String(r.port_range_min) : `${r.port_range_min}-${r.port_range_max}`,
        sources: r.direction === 'ingress' ? [pair] : [any], senders: [],
      })),
    }];
  });
}
