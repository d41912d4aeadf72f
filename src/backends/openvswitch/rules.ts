/**
 * Security-group rules to flows, after Neutron 21's
 * openvswitch_firewall/rules.py: a rule as the driver holds it (protocol a
 * number), the flows of a rule or of a merged remote-group rule, port-range
 * masks, and the conjunction flows.
 */
import { IP_PROTOCOL_MAP } from '../../model/protocols.js';
import { type Direction, type Ethertype } from '../../model/security-group-rule.js';
import { type Flow, flow } from './flow.js';
import { ETHERTYPE, TABLE } from './tables.js';

/** A rule as SecurityGroup.update_rules leaves it: the RPC's rule dict with the protocol a number (or an unknown name). */
export interface DriverRule {
  direction: Direction;
  ethertype: Ethertype;
  protocol?: number | string;
  port_range_min?: number;
  port_range_max?: number;
  /** the remote prefix, as the OVS agent's cache sends it (normalized_cidr) */
  source_ip_prefix?: string;
  dest_ip_prefix?: string;
  remote_group_id?: string;
}

const PROTOCOL_NUMBERS = new Map(IP_PROTOCOL_MAP);

/** SecurityGroup.update_rules: the protocol as a number where the driver knows one (an IPv6 rule's "icmp" is ICMPv6). */
export function driverProtocol(protocol: string, ethertype: Ethertype): number | string {
  if (/^[0-9]+$/.test(protocol)) return Number(protocol);
  if (ethertype === 'IPv6' && protocol === 'icmp') return 58;
  return PROTOCOL_NUMBERS.get(protocol) ?? protocol;
}

/**
 * The protocol number a rule matches once rendered (nw_proto), null for every protocol: the
 * number the API's name stands for, 0 included (`ip` matches protocol 0 only, unlike iptables).
 * Port ranges are matched for tcp, udp and sctp only (PROTOCOLS_WITH_PORTS): a dccp or udplite
 * rule's range is dropped, so it admits every port.
 */
export function matchedProtocol(protocol: string | null): number | null {
  if (protocol === null) return null;
  const n = driverProtocol(protocol, 'IPv4');
  // the API takes only IP_PROTOCOL_MAP's names and numbers
  return typeof n === 'number' ? n : null;
}

const ICMP = 1;
const IPV6_ICMP = 58;
/** constants.py REVERSE_IP_PROTOCOL_MAP_WITH_PORTS: the protocols whose port ranges become matches */
const PORT_MATCH: Record<number, string> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };

/** CT_STATES: established not reply, new not established */
export const CT_STATES = ['+est-rel-rpl', '+new-est'] as const;

const isIcmp = (p: DriverRule['protocol']) => p === ICMP || p === IPV6_ICMP;

/** flow_priority_offset */
export function priorityOffset(rule: DriverRule, conjunction = false): number {
  const conjOffset = rule.remote_group_id !== undefined || conjunction ? 0 : 4;
  if (rule.protocol === undefined) return conjOffset;
  if (isIcmp(rule.protocol)) {
    if (rule.port_range_min === undefined) return conjOffset + 1;
    if (rule.port_range_max === undefined) return conjOffset + 2;
  }
  return conjOffset + 3;
}

const hex4 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
const hexFormat = (port: number, mask = 0) => (mask > 0 ? `${hex4(port)}/${hex4(0xffff & ~mask)}` : hex4(port));

/** neutron.common.utils.port_rule_masking: a port range as value/mask matches. */
export function portRuleMasking(min: number, max: number): string[] {
  const bitdiff = min ^ max;
  if (bitdiff === 0) return [hexFormat(min)];
  let top = 1;
  while (top <= bitdiff) top <<= 1;
  if ((min & (top - 1)) === 0 && (max & (top - 1)) === top - 1) return [hexFormat(min, top - 1)];
  top >>= 1;
  const rules: string[] = [];
  let bit = top;
  let mask = top - 1;
  for (;;) {
    if ((min & mask) === 0) {
      rules.push(hexFormat(min, mask));
      break;
    }
    bit >>= 1;
    mask >>= 1;
    if ((min & bit) === 0) rules.push(hexFormat((min & ~mask) | bit, mask));
  }
  bit = top;
  mask = top - 1;
  for (;;) {
    if ((max & mask) === mask) {
      rules.push(hexFormat(max & ~mask, mask));
      break;
    }
    bit >>= 1;
    mask >>= 1;
    if ((max & bit) === bit) rules.push(hexFormat(max & ~mask & ~bit, mask));
  }
  return rules;
}

const ANY_PREFIXES = new Set(['0.0.0.0/0', '::/0']);

/** The flow field a prefix goes in, per IP version and direction (FLOW_FIELD_FOR_IPVER_AND_DIRECTION). */
export function prefixField(prefix: string, direction: Direction): string {
  const v6 = prefix.includes(':');
  return direction === 'egress' ? (v6 ? 'ipv6_dst' : 'nw_dst') : v6 ? 'ipv6_src' : 'nw_src';
}

/** A port as the rule flows name it. */
export interface FlowPort {
  ofport: number;
}

/** populate_flow_common */
function withDirection(direction: Direction, template: Flow, port: FlowPort): Flow {
  const f = new Map(template);
  if (direction === 'ingress') {
    f.set('table', TABLE.RULES_INGRESS);
    f.set('actions', `output:${port.ofport}`);
  } else {
    f.set('table', TABLE.RULES_EGRESS);
    f.set('actions', `resubmit(,${TABLE.ACCEPT_OR_INGRESS})`);
  }
  return f;
}

/** create_flows_from_rule_and_port */
export function ruleFlows(rule: DriverRule, port: FlowPort, conjunction = false): Flow[] {
  const template = flow([['priority', 70 + priorityOffset(rule, conjunction)], ['dl_type', ETHERTYPE[rule.ethertype]], ['reg_port', port.ofport]]);
  // is_valid_prefix: the driver leaves out an any-address prefix (netaddr's text of it)
  if (rule.dest_ip_prefix && !ANY_PREFIXES.has(rule.dest_ip_prefix)) template.set(prefixField(rule.dest_ip_prefix, 'egress'), rule.dest_ip_prefix);
  if (rule.source_ip_prefix && !ANY_PREFIXES.has(rule.source_ip_prefix)) template.set(prefixField(rule.source_ip_prefix, 'ingress'), rule.source_ip_prefix);
  const f = withDirection(rule.direction, template, port);
  if (rule.protocol !== undefined) f.set('nw_proto', rule.protocol);
  if (isIcmp(rule.protocol)) {
    if (rule.port_range_min === undefined) return [f];
    f.set('icmp_type', rule.port_range_min);
    if (rule.port_range_max !== undefined) f.set('icmp_code', rule.port_range_max);
    return [f];
  }
  const name = typeof rule.protocol === 'number' ? PORT_MATCH[rule.protocol] : undefined;
  if (!name || !rule.port_range_min || !rule.port_range_max) return [f];
  return portRuleMasking(rule.port_range_min, rule.port_range_max).map((m) => new Map(f).set(`${name}_dst`, m));
}

/** create_accept_flows: the rule's flow for established and for new connections (ingress commits them). */
export function acceptFlows(f: Flow): Flow[] {
  const established = new Map(f).set('ct_state', CT_STATES[0]);
  const fresh = new Map(established).set('ct_state', CT_STATES[1]);
  if (f.get('table') === TABLE.RULES_INGRESS) fresh.set('actions', `ct(commit,zone=NXM_NX_REG6[0..15]),${f.get('actions')},resubmit(,${TABLE.ACCEPTED_INGRESS})`);
  return [established, fresh];
}

/** substitute_conjunction_actions: each flow per connection state, its action joining the conjunctions (conj_id + 1 for new connections). */
export function conjunctionFlows(flows: Flow[], dimension: 1 | 2, conjIds: readonly number[]): Flow[] {
  return flows.flatMap((f) => CT_STATES.map((state, i) =>
    new Map(f).set('ct_state', state).set('actions', conjIds.map((c) => `conjunction(${c + i},${dimension}/2)`).join(','))));
}

/** A conj_id's priority offset (a base id is a multiple of 8, two ids per offset). */
export const conjPriorityOffset = (conjId: number) => Math.floor((conjId % 8) / 2);

/** create_conj_flows, with the driver's reg7 stamp: accept what conjunction `conjId` matched. */
export function conjAcceptFlows(port: FlowPort, conjId: number, direction: Direction, ethertype: Ethertype): Flow[] {
  const template = flow([['priority', 70 + conjPriorityOffset(conjId)], ['conj_id', conjId], ['dl_type', ETHERTYPE[ethertype]], ['reg_port', port.ofport]]);
  const flows = acceptFlows(withDirection(direction, template, port));
  flows[1].set('conj_id', conjId + 1);
  return flows.map((f) => f.set('actions', `set_field:${f.get('conj_id')}->reg7,${f.get('actions')}`));
}

type RuleConj = [DriverRule, number[]];

const withoutPorts = ({ port_range_min: _min, port_range_max: _max, ...rest }: DriverRule): DriverRule => rest;

/** merge_common_rules: rules equal but for their ports, one per port range with its conj_ids. */
export function mergeCommonRules(list: [DriverRule, number][]): RuleConj[] {
  if (list.length === 1) return [[list[0][0], [list[0][1]]]];
  const byRange = new Map<string, { min?: number; max?: number; ids: number[] }>();
  for (const [rule, id] of list) {
    const key = `${rule.port_range_min} ${rule.port_range_max}`;
    if (!byRange.has(key)) byRange.set(key, { min: rule.port_range_min, max: rule.port_range_max, ids: [] });
    byRange.get(key)!.ids.push(id);
  }
  const template = withoutPorts(list[0][0]);
  return [...byRange.values()].map(({ min, max, ids }) => {
    const rule: DriverRule = { ...template };
    if (min !== undefined) rule.port_range_min = min;
    if (max !== undefined) rule.port_range_max = max;
    return [rule, ids];
  });
}

/** merge_port_ranges: overlapping port ranges cut into disjoint ones, each with every conj_id covering it. */
export function mergePortRanges(list: [DriverRule, number][]): RuleConj[] {
  if (list.length === 1) return [[list[0][0], [list[0][1]]]];
  const edges: [number, 'min' | 'max', number][] = [];
  for (const [rule, id] of list) {
    edges.push([rule.port_range_min ?? 1, 'min', id]);
    edges.push([rule.port_range_max ?? 65535, 'max', id]);
  }
  // stable, as Python's sort: by port, a range's start before an end at the same port
  edges.sort((a, b) => a[0] * 2 + (a[1] === 'min' ? 0 : 1) - (b[0] * 2 + (b[1] === 'min' ? 0 : 1)));
  const template = withoutPorts(list[0][0]);
  const result: RuleConj[] = [];
  const current = new Map<number, number>();
  let rangeMin = 0;
  const emit = (max: number) => result.push([{ ...template, port_range_min: rangeMin, port_range_max: max }, [...current.keys()]]);
  for (const [port, edge, id] of edges) {
    if (edge === 'min') {
      if (current.has(id)) {
        current.set(id, current.get(id)! + 1);
        continue;
      }
      if (current.size && rangeMin !== port) emit(port - 1);
      rangeMin = port;
      current.set(id, 1);
    } else {
      if (current.get(id)! > 1) {
        current.set(id, current.get(id)! - 1);
        continue;
      }
      if (rangeMin <= port) {
        emit(port);
        rangeMin = port + 1;
      }
      current.delete(id);
    }
  }
  if (result.length === 1 && result[0][0].port_range_min === 1 && result[0][0].port_range_max === 65535) result[0][0] = withoutPorts(result[0][0]);
  return result;
}
