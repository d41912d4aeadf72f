/**
 * Zed's port policy (neutron/conf/policies/port.py with enforce_new_defaults off:
 * each rule is its new default or its deprecated one), enforced the way
 * neutron/policy.py builds the match rule: the action's rule, then one rule per
 * policed attribute the request sets, in the port's attribute-map order, each
 * with its sub-attribute rules; the whole rule fails if any part fails, and the
 * message names the whole rule (as measured against the real server in
 * test/security-policy.test.ts).
 */
import { errors } from './errors.js';
import { type Body, type Context } from './schema.js';

/** What the rules look at: who calls, and the port and network they act on. */
export interface PortPolicyTarget {
  ctx: Context;
  /** the port's project (the caller's own, on create) */
  portProject: string;
  networkProject: string;
  networkShared: boolean;
  /** device_owner after the request */
  deviceOwner: string;
}

type Check = (t: PortPolicyTarget) => boolean;

const admin: Check = (t) => t.ctx.isAdmin;
const advsvc: Check = (t) => t.ctx.roles.includes('advsvc');
const owner: Check = (t) => t.ctx.projectId === t.portProject;
const networkOwner: Check = (t) => t.ctx.projectId === t.networkProject;
const shared: Check = (t) => t.networkShared;
/** rule:network_device: field:port:device_owner=~^network: */
const notNetworkDevice: Check = (t) => !t.deviceOwner.startsWith('network:');
const any = (...checks: Check[]): Check => (t) => checks.some((c) => c(t));
const always: Check = () => true;

const netAdmin = any(advsvc, admin, networkOwner);
const ownerOnly = any(admin, networkOwner);

type Action = 'create' | 'update';

/** `<action>_port[:attr[:sub]]` → its check; an attribute without a rule here is not policed. */
const RULES: Record<Action, Record<string, Check>> = {
  create: {
    '': always,
    mac_address: netAdmin,
    fixed_ips: any(netAdmin, shared),
    'fixed_ips:ip_address': netAdmin,
    'fixed_ips:subnet_id': any(netAdmin, shared),
    device_owner: any(notNetworkDevice, netAdmin),
    allowed_address_pairs: ownerOnly,
    'allowed_address_pairs:ip_address': ownerOnly,
    'allowed_address_pairs:mac_address': ownerOnly,
    'binding:vnic_type': always,
    'binding:host_id': admin,
    'binding:profile': admin,
    port_security_enabled: netAdmin,
  },
  update: {
    '': any(admin, owner, advsvc),
    mac_address: any(admin, advsvc),
    fixed_ips: netAdmin,
    'fixed_ips:ip_address': netAdmin,
    'fixed_ips:subnet_id': any(netAdmin, shared),
    device_owner: any(notNetworkDevice, netAdmin),
    allowed_address_pairs: ownerOnly,
    'allowed_address_pairs:ip_address': ownerOnly,
    'allowed_address_pairs:mac_address': ownerOnly,
    'binding:vnic_type': any(admin, owner, advsvc),
    'binding:host_id': admin,
    'binding:profile': admin,
    port_security_enabled: netAdmin,
  },
};

/** Neutron's port attribute-map order of the policed attributes (the order rules are combined in). */
const POLICED = ['mac_address', 'fixed_ips', 'device_owner', 'allowed_address_pairs', 'binding:vnic_type', 'binding:host_id', 'binding:profile', 'port_security_enabled'];

/** oslo.policy's AndCheck: "(a and b)" */
interface Rule { text: string; ok: boolean }
const and = (rules: Rule[]): Rule => ({ text: `(${rules.map((r) => r.text).join(' and ')})`, ok: rules.every((r) => r.ok) });

/**
 * Enforces create_port/update_port. `set` tells whether the request sets an attribute
 * (_is_attribute_explicitly_set: on create a value equal to the default does not count;
 * on update, any attribute in the body does).
 */
export function enforcePortPolicy(action: Action, item: Body, set: (attr: string) => boolean, t: PortPolicyTarget): void {
  const rule = (name: string): Rule => ({ text: `rule:${action}_port${name ? `:${name}` : ''}`, ok: RULES[action][name]?.(t) ?? false });
  let match = rule('');
  for (const attr of POLICED) {
    if (!set(attr)) continue;
    let attrRule = rule(attr);
    const value = item[attr];
    // _build_list_of_subattrs_rule: one rule per key of each listed dict, as sent
    const subs = Array.isArray(value) ? value.flatMap((v) => (v && typeof v === 'object' ? Object.keys(v) : [])) : [];
    if (subs.length) attrRule = and([attrRule, and(subs.map((k) => rule(`${attr}:${k}`)))]);
    match = and([match, attrRule]);
  }
  if (!match.ok) throw errors.policy(match.text);
}
