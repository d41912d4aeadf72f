/**
 * The security-group-rule resource: schema (attribute order is Neutron's, so
 * conversion errors come in the same order), the semantic checks of
 * SecurityGroupDbMixin._validate_security_group_rule, and duplicate detection.
 */
import { z } from 'zod';
import { formatCidr, formatNetwork, parseCidr } from './addresses.js';
import { idAttr, projectAttrs, projectView, standardAttrs, standardView, type StandardAttrs } from './common.js';
import { errors } from './errors.js';
import { ICMP_PROTOCOLS, IPV6_ONLY_PROTOCOLS, PORT_PROTOCOLS, PROTOCOL_NAMES, protocolNumber } from './protocols.js';
import { oneOf, type ResourceSpec } from './schema.js';

export type Direction = 'ingress' | 'egress';
export type Ethertype = 'IPv4' | 'IPv6';

export interface Rule extends StandardAttrs {
  id: string;
  project_id: string;
  security_group_id: string;
  direction: Direction;
  ethertype: Ethertype;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  remote_address_group_id: string | null;
}

/** A converter that raises its own Neutron error (as neutron-lib converters do). */
const convert = <T>(fn: (v: unknown) => T) => z.unknown().transform((v) => fn(v));

/** neutron securitygroup.convert_protocol */
export const convertProtocol = convert((v): string | null => {
  if (v === null || v === undefined) return null;
  const text = String(v);
  if (/^-?[0-9]+$/.test(text.trim())) {
    const n = Number(text);
    if (n >= 0 && n <= 255) return text;
  } else if (PROTOCOL_NAMES.includes(text.toLowerCase())) {
    return text.toLowerCase();
  }
  throw errors.ruleInvalidProtocol(text, PROTOCOL_NAMES);
});

/** neutron securitygroup.convert_validate_port_value */
export const convertPortValue = convert((v): number | null => {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?[0-9]+\s*$/.test(v) ? Number(v) : NaN;
  if (Number.isInteger(n) && n >= 0 && n <= 65535) return n;
  throw errors.rulePortValue(v);
});

const ethertype = convert((v): Ethertype => {
  const lower = typeof v === 'string' ? v.toLowerCase() : v;
  if (lower === 'ipv4') return 'IPv4';
  if (lower === 'ipv6') return 'IPv6';
  throw errors.ruleInvalidEthertype(String(v));
});

/** neutron securitygroup.convert_ip_prefix_to_cidr: "" is no prefix */
export const convertIpPrefix = convert((v): string | null => {
  if (v === null || v === undefined || v === '') return null;
  const c = parseCidr(v, true);
  if (!c) throw errors.invalidCidr(String(v));
  return formatCidr(c);
});

export const ruleSpec: ResourceSpec = {
  name: 'security_group_rule',
  collection: 'security_group_rules',
  attrs: {
    id: idAttr,
    security_group_id: { post: true, put: false, required: true, visible: true, filter: true, sort: true },
    remote_group_id: { post: true, put: false, default: null, visible: true, filter: true, sort: true },
    direction: { post: true, put: false, required: true, input: oneOf(['ingress', 'egress']), visible: true, filter: true, sort: true },
    protocol: { post: true, put: false, default: null, input: convertProtocol, visible: true, filter: true, filterAs: convertProtocol, sort: true },
    port_range_min: { post: true, put: false, default: null, input: convertPortValue, visible: true, filter: true, filterAs: convertPortValue, sort: true },
    port_range_max: { post: true, put: false, default: null, input: convertPortValue, visible: true, filter: true, filterAs: convertPortValue, sort: true },
    ethertype: { post: true, put: false, default: 'IPv4', input: ethertype, visible: true, filter: true, filterAs: ethertype, sort: true },
    remote_ip_prefix: { post: true, put: false, default: null, input: convertIpPrefix, visible: true, filter: true, filterAs: convertIpPrefix, sort: true },
    ...projectAttrs,
    normalized_cidr: { post: false, put: false, visible: true, filter: true },
    remote_address_group_id: { post: true, put: false, default: null, visible: true, filter: true, sort: true },
    ...standardAttrs,
  },
};

export type RuleInput = Pick<Rule, 'direction' | 'ethertype' | 'protocol' | 'port_range_min' | 'port_range_max' | 'remote_ip_prefix' | 'remote_group_id'
  | 'remote_address_group_id'>;

/**
 * The pure part of _validate_security_group_rule, in Neutron's order; returns
 * the canonical rule (IPv6 ICMP name, whole port range dropped).
 */
export function canonicalRule(input: RuleInput): RuleInput {
  const r = { ...input };
  if (r.ethertype === 'IPv6' && (r.protocol === 'icmp' || r.protocol === 'icmpv6')) r.protocol = 'ipv6-icmp';
  if (r.ethertype === 'IPv6' && r.protocol === '1') r.protocol = '58';
  if (r.port_range_min === 1 && r.port_range_max === 65535) r.port_range_min = r.port_range_max = null;
  validatePortRange(r);
  if (r.remote_ip_prefix) {
    const c = parseCidr(r.remote_ip_prefix, true)!;
    if (r.ethertype !== `IPv${c.family}`) throw errors.ruleParameterConflict(r.ethertype, r.remote_ip_prefix);
  }
  const num = protocolNumber(r.protocol);
  if (r.ethertype === 'IPv4' && num !== undefined && IPV6_ONLY_PROTOCOLS.has(num)) {
    throw errors.ruleEthertypeProtocol(r.ethertype, r.protocol!);
  }
  const remotes = [r.remote_ip_prefix, r.remote_group_id, r.remote_address_group_id].filter((x) => x !== null && x !== undefined);
  if (remotes.length > 1) throw errors.ruleMultipleRemotes();
  return r;
}

function validatePortRange(r: RuleInput): void {
  const { port_range_min: min, port_range_max: max } = r;
  if (min === null && max === null) return;
  if (!r.protocol) throw errors.ruleProtocolRequired();
  const num = protocolNumber(r.protocol)!;
  if (PORT_PROTOCOLS.has(num)) {
    if (min === 0 || max === 0) throw errors.rulePortValue(0);
    if (min !== null && max !== null && min <= max) return;
    throw errors.rulePortRange();
  }
  if (ICMP_PROTOCOLS.has(num)) {
    if (min !== null && min > 255) throw errors.ruleIcmpValue('type', 'port_range_min', min);
    if (max !== null && max > 255) throw errors.ruleIcmpValue('code', 'port_range_max', max);
    if (min === null && max !== null) throw errors.ruleIcmpMissingType(max);
    return;
  }
  throw errors.ruleInvalidProtocolForPort(num);
}

const ANY_PREFIX = new Set(['0.0.0.0/0', '::/0']);

/** _rule_to_key: what makes two rules of one group duplicates. */
export function ruleKey(r: RuleInput & { security_group_id: string }): string {
  return JSON.stringify([
    r.security_group_id, r.direction, r.ethertype, protocolNumber(r.protocol) ?? null,
    r.port_range_min, r.port_range_max, r.remote_group_id, r.remote_address_group_id,
    r.remote_ip_prefix && !ANY_PREFIX.has(r.remote_ip_prefix) ? r.remote_ip_prefix : null,
  ]);
}

export function normalizedCidr(prefix: string | null): string | null {
  return prefix === null ? null : formatNetwork(parseCidr(prefix, true)!);
}

export function ruleView(r: Rule, embedded: boolean): Record<string, unknown> {
  const base: Record<string, unknown> = {
    id: r.id,
    ...projectView(r.project_id),
    security_group_id: r.security_group_id,
    ethertype: r.ethertype,
    direction: r.direction,
    protocol: r.protocol,
    port_range_min: r.port_range_min,
    port_range_max: r.port_range_max,
    remote_ip_prefix: r.remote_ip_prefix,
    remote_address_group_id: r.remote_address_group_id,
    normalized_cidr: normalizedCidr(r.remote_ip_prefix),
    remote_group_id: r.remote_group_id,
    ...standardView(r),
  };
  if (embedded) return { ...base, standard_attr_id: r.standard_attr_id };
  delete base.tags;
  return base;
}
