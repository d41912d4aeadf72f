/** The security-group resource: schema, the rules every new group gets, and its view. */
import { idAttr, nameAttr, projectAttrs, projectView, standardAttrs, standardView, type StandardAttrs } from './common.js';
import { errors } from './errors.js';
import { boolean, type ResourceSpec, string } from './schema.js';
import { type Ethertype, type Rule, type RuleInput, ruleView } from './security-group-rule.js';

export interface SecurityGroup extends StandardAttrs {
  id: string;
  project_id: string;
  name: string;
  stateful: boolean;
}

export const securityGroupSpec: ResourceSpec = {
  name: 'security_group',
  collection: 'security_groups',
  attrs: {
    id: idAttr,
    name: { ...nameAttr, input: string(255).transform(nameNotDefault) },
    ...projectAttrs,
    security_group_rules: { post: false, put: false, visible: true },
    stateful: { post: true, put: true, default: true, input: boolean, visible: true, sort: true },
    shared: { post: false, put: false, visible: true, filter: true, filterAs: boolean },
    ...standardAttrs,
  },
};

export const DEFAULT_SG_NAME = 'default';

/** securitygroup._validate_name_not_default: no second group called "default", on POST or PUT */
function nameNotDefault(name: unknown): unknown {
  if (typeof name === 'string' && name.toLowerCase() === DEFAULT_SG_NAME) throw errors.sgDefaultExists();
  return name;
}
export const DEFAULT_SG_DESCRIPTION = 'Default security group';

const ETHERTYPES: Ethertype[] = ['IPv4', 'IPv6'];
const blank = { protocol: null, port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_address_group_id: null };

/**
 * Zed's create_security_group: per ethertype, the default group gets ingress
 * from itself, and every group gets egress to anywhere (in this order).
 */
export function initialRules(groupId: string, isDefault: boolean): RuleInput[] {
  return ETHERTYPES.flatMap((ethertype) => [
    ...(isDefault ? [{ ...blank, direction: 'ingress' as const, ethertype, remote_group_id: groupId }] : []),
    { ...blank, direction: 'egress' as const, ethertype, remote_group_id: null },
  ]);
}

/** `shared`: whether an RBAC policy shares the group with the caller's project (by name or by the wildcard) */
export function securityGroupView(sg: SecurityGroup, rules: Rule[], shared: boolean): Record<string, unknown> {
  return {
    id: sg.id,
    name: sg.name,
    stateful: sg.stateful,
    ...projectView(sg.project_id),
    shared,
    security_group_rules: rules.map((r) => ruleView(r, true)),
    ...standardView(sg),
  };
}
