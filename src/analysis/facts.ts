/** The IR's rules, members and port kinds as answers name them: with object references instead of bare ids. */
import { type Member, type PolicyRule, type PortPolicy, type RuleOrigin as IrOrigin } from '../policy/ir.js';
import { type MemberMatch, type RuleDetail, type RuleOrigin, type UnfilteredReason } from './answers.js';
import { type Cloud, groupRef, portRef } from './cloud.js';

export const MEMBER_VIA = { fixed_ip: 'fixed-ip', address_pair: 'allowed-address-pair' } as const satisfies Record<Member['via'], MemberMatch['via']>;

export function ruleOrigin(cloud: Cloud, o: IrOrigin): RuleOrigin {
  return o.kind === 'group' ? { kind: 'group', group: groupRef(cloud, o.groupId), rule: { type: 'security_group_rule', id: o.ruleId } } : o;
}

export function ruleDetail(cloud: Cloud, r: PolicyRule): RuleDetail {
  return {
    ethertype: r.ethertype, protocol: r.protocol, portMin: r.portMin, portMax: r.portMax,
    remote: r.remote.kind === 'group' ? { kind: 'group', group: groupRef(cloud, r.remote.groupId) } : r.remote,
    origin: ruleOrigin(cloud, r.origin),
  };
}

export function memberMatch(cloud: Cloud, groupId: string, m: Member): MemberMatch {
  // an agent may still hold a member whose port is gone
  const port = cloud.ports.get(m.portId);
  const match: MemberMatch = { group: groupRef(cloud, groupId), port: port ? portRef(port) : { type: 'port', id: m.portId }, address: m.ip, via: MEMBER_VIA[m.via] };
  if (!m.srcMac) return match;
  return port && !port.security_groups.includes(groupId) ? { ...match, onlyFromMac: m.srcMac, shared: true } : { ...match, onlyFromMac: m.srcMac };
}

/** Why a port that is not filtered is not. */
export const unfilteredReason = (pp: PortPolicy): UnfilteredReason => (pp.kind === 'trusted' ? 'network-owned' : 'port-security-disabled');
