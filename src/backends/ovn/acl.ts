/**
 * ACLs as Neutron's OVN driver writes them (neutron/common/ovn/acl.py, Zed): one per
 * security group rule in the group's port group, and the two that drop all IP in
 * neutron_pg_drop. The rule comes from the policy layer (policy/compile.ts groupRules,
 * with the prefixes normalised as the database's normalized_cidr holds them).
 */
import { groupRules } from '../../policy/compile.js';
import { type PolicyRule } from '../../policy/ir.js';
import { type TopologyGroup } from '../../policy/topology.js';
import { addressSetName, DROP_PORT_GROUP, portGroupName, PRIORITY, RULE_ID_KEY } from './names.js';
import { ovnProtocol } from './protocol.js';
import { type Acl } from './rows.js';

/** TRANSPORT_PROTOCOLS: the ones whose ports OVN matches; any other protocol's port range is dropped */
const TRANSPORT: Record<number, string> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };
/** ICMP_PROTOCOLS: either number matches the rule's ethertype's ICMP, its range as type and code */
const ICMP = new Set([1, 58]);

/** acl_protocol_and_ports */
function protocolMatch(r: PolicyRule, icmp: 'icmp4' | 'icmp6'): string {
  const n = ovnProtocol(r.protocol);
  if (n === null) return '';
  const { portMin: min, portMax: max } = r;
  const transport = TRANSPORT[n];
  if (transport) {
    if (min !== null && min === max) return ` && ${transport} && ${transport}.dst == ${min}`;
    return ` && ${transport}${min !== null ? ` && ${transport}.dst >= ${min}` : ''}${max !== null ? ` && ${transport}.dst <= ${max}` : ''}`;
  }
  if (ICMP.has(n)) return ` && ${icmp}${min !== null ? ` && ${icmp}.type == ${min}` : ''}${max !== null ? ` && ${icmp}.code == ${max}` : ''}`;
  return ` && ip.proto == ${n}`;
}

/** _add_sg_rule_acl_for_port_group's match: the port's side, the family, the peer, the protocol */
export function aclMatch(portGroup: string, r: PolicyRule): string {
  const ingress = r.direction === 'ingress';
  const [ip, icmp] = r.ethertype === 'IPv4' ? (['ip4', 'icmp4'] as const) : (['ip6', 'icmp6'] as const);
  const peer = `${ip}.${ingress ? 'src' : 'dst'}`;
  let match = `${ingress ? 'outport' : 'inport'} == @${portGroup} && ${ip}`;
  if (r.remote.kind === 'prefix') match += ` && ${peer} == ${r.remote.cidr}`;
  else if (r.remote.kind === 'group') match += ` && ${peer} == $${addressSetName(r.remote.groupId, r.ethertype)}`;
  return match + protocolMatch(r, icmp);
}

/**
 * A group's ACLs, its rules in order. Each rule is its own NB transaction and pg_acl_add's
 * may_exist keeps an ACL with the same direction, priority and match: the first rule's wins.
 */
export function groupAcls(g: TopologyGroup): Acl[] {
  const pg = portGroupName(g.id);
  const byMatch = new Map<string, Acl>();
  for (const r of groupRules(g, true)) {
    if (r.origin.kind !== 'group') continue;
    const match = aclMatch(pg, r);
    if (byMatch.has(match)) continue;
    byMatch.set(match, {
      action: g.stateful ? 'allow-related' : 'allow-stateless',
      direction: r.direction === 'ingress' ? 'to-lport' : 'from-lport',
      external_ids: { [RULE_ID_KEY]: r.origin.ruleId },
      match,
      priority: PRIORITY.allow,
    });
  }
  return [...byMatch.values()];
}

/** add_acls_for_drop_port_group: all IP from and to a filtered port dropped, below every rule */
export const DROP_ACLS: readonly Acl[] = (['from-lport', 'to-lport'] as const).map((direction) => ({
  action: 'drop',
  direction,
  external_ids: {},
  match: `${direction === 'from-lport' ? 'inport' : 'outport'} == @${DROP_PORT_GROUP} && ip`,
  priority: PRIORITY.drop,
}));
