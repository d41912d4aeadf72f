/**
 * The flows Neutron 21's OVSFirewallDriver gives every port whatever its rules
 * (firewall.py initialize_port_flows, _initialize_egress, _initialize_ingress,
 * _initialize_tracked_egress/_ingress, _initialize_egress_no_port_security),
 * in the order it sends them.
 */
import { type FixedRule, OVS_FIXED_RULES } from '../../policy/fixed-rules.js';
import { type Family } from '../../policy/ir.js';
import { type Flow, flow } from './flow.js';
import { PySet } from './python-set.js';
import { CT_MARK_INVALID, CT_MARK_NORMAL, CT_ZONE, ETHERTYPE, ETHERTYPE_ARP, PROTO_IPV6_ICMP, PROTO_UDP, TABLE } from './tables.js';

/*
 * The ICMPv6 types, DHCP ports and unaddressed DHCP source below are read from
 * the analyzer's list of these lines (OVS_FIXED_RULES), so what is enforced
 * and what is analysed cannot drift apart; the golden fixtures hold the bytes.
 */
const FAMILIES: readonly Family[] = ['IPv4', 'IPv6'];
const FIXED = OVS_FIXED_RULES;
const isUdp = (r: FixedRule) => r.protocol === 'udp';
const isIcmp = (r: FixedRule) => r.protocol === 'ipv6-icmp';
const dropped = (r: FixedRule) => r.origin.verdict === 'drop';
const icmpType = (r: FixedRule) => r.portMin!;
/** [ethertype, source port, destination port] of a DHCP line */
const udpPorts = (r: FixedRule): [number, number, number] => [ETHERTYPE[r.ethertype], r.sourcePortMin!, r.portMin!];
/** ICMPv6 a port sends to NORMAL from any of its (MAC, address) pairs */
const EGRESS_ICMP = FIXED.IPv6.afterSpoof.filter((r) => r.switched).map(icmpType);
/** ICMPv6 a port sends to NORMAL when the target is one of its addresses (neighbour advertisements) */
const EGRESS_ICMP_OWN_TARGET = FIXED.IPv6.beforeSpoof.filter((r) => r.ownTarget).map(icmpType);
const INGRESS_ICMP = FIXED.IPv6.ingress.filter(isIcmp).map(icmpType);
const EGRESS_ICMP_DROPPED = FIXED.IPv6.afterSpoof.filter((r) => isIcmp(r) && dropped(r)).map(icmpType);
/** per family: the DHCP request a port sends, and the source it may send it from before it has an address */
const DHCP_REQUEST = FAMILIES.map((f) => ({
  family: f,
  ports: udpPorts(FIXED[f].afterSpoof.find((r) => isUdp(r) && !dropped(r))!),
  unaddressed: FIXED[f].beforeSpoof.filter(isUdp).map((r) => r.localPrefix!.split('/')[0]!),
}));
const DHCP_SERVER_DROPPED = FAMILIES.flatMap((f) => FIXED[f].afterSpoof.filter((r) => isUdp(r) && dropped(r)).map(udpPorts));
const DHCP_OFFER = FAMILIES.flatMap((f) => FIXED[f].ingress.filter(isUdp).map(udpPorts));

/** A local port as the driver's OFPort holds it. */
export interface OfPort {
  ofport: number;
  vlan: number;
  /** the VIF's MAC (OVSDB's, the port's canonical one) */
  mac: string;
  lla: string;
  /** fixed IPs as the API prints them */
  fixedIps: string[];
  /** (MAC as stored, address as written) of each pair */
  pairs: [string, string][];
}

export type Emit = (f: Flow) => void;

const v6 = (ip: string) => ip.includes(':');

type Pair = readonly [string, string];

/** OFPort.allowed_pairs_v4 / _v6 (the latter with the link-local address, as OFPort.update adds it) */
function allowedPairs(p: OfPort, ipv6: boolean): PySet<Pair> {
  const pairs = PySet.of(p.pairs.filter(([, ip]) => v6(ip) === ipv6));
  if (ipv6) pairs.add([p.mac, p.lla]);
  return pairs;
}

/** OFPort.all_allowed_macs */
function allowedMacs(p: OfPort): string[] {
  const macs = PySet.of([...allowedPairs(p, false).union(allowedPairs(p, true))].map(([mac]) => mac));
  macs.add(p.mac);
  return [...macs];
}

/** _initialize_egress's allowed_mac_ipv4_pairs / _ipv6_pairs: the pairs and the fixed IPs */
const ownPairs = (p: OfPort, ipv6: boolean): PySet<Pair> =>
  allowedPairs(p, ipv6).union(PySet.of(p.fixedIps.filter((ip) => v6(ip) === ipv6).map((ip): Pair => [p.mac, ip])));

const resubmit = (table: number) => `resubmit(,${table})`;
const ctTo = (table: number) => `ct(table=${table},zone=${CT_ZONE})`;
const ctCommitMarkInvalid = `ct(commit,zone=${CT_ZONE},exec(set_field:${CT_MARK_INVALID}->ct_mark))`;

/** initialize_port_flows: where the port's traffic enters the pipeline, then its egress and ingress base flows */
export function initializePortFlows(p: OfPort, emit: Emit): void {
  emit(flow([['table', TABLE.TRANSIENT], ['priority', 100], ['in_port', p.ofport],
    ['actions', `set_field:${p.ofport}->reg5,set_field:${p.vlan}->reg6,${resubmit(TABLE.BASE_EGRESS)}`]]));
  // install_physical_direct_flow writes nothing on a tunnelled network (the harness's vxlan)
  for (const mac of allowedMacs(p)) {
    emit(flow([['table', TABLE.TRANSIENT], ['priority', 90], ['dl_dst', mac], ['dl_vlan', `0x${p.vlan.toString(16)}`],
      ['actions', `set_field:${p.ofport}->reg5,set_field:${p.vlan}->reg6,strip_vlan,${resubmit(TABLE.BASE_INGRESS)}`]]));
  }
  initializeEgress(p, emit);
  initializeIngress(p, emit);
}

function egressIpv6Icmp(p: OfPort, pairs: PySet<Pair>, emit: Emit): void {
  for (const [mac, ip] of pairs.union(PySet.of<Pair>([[p.mac, p.lla]]))) {
    for (const type of EGRESS_ICMP) {
      emit(flow([['table', TABLE.BASE_EGRESS], ['priority', 95], ['in_port', p.ofport], ['reg_port', p.ofport], ['dl_type', ETHERTYPE.IPv6],
        ['nw_proto', PROTO_IPV6_ICMP], ['icmp_type', type], ['dl_src', mac], ['ipv6_src', ip], ['actions', resubmit(TABLE.ACCEPTED_EGRESS_NORMAL)]]));
    }
    for (const type of EGRESS_ICMP_OWN_TARGET) {
      emit(flow([['table', TABLE.BASE_EGRESS], ['priority', 95], ['in_port', p.ofport], ['reg_port', p.ofport], ['dl_type', ETHERTYPE.IPv6],
        ['nw_proto', PROTO_IPV6_ICMP], ['icmp_type', type], ['nd_target', ip], ['actions', resubmit(TABLE.ACCEPTED_EGRESS_NORMAL)]]));
    }
  }
}

function initializeEgress(p: OfPort, emit: Emit): void {
  const pairs4 = ownPairs(p, false);
  for (const [mac, ip] of pairs4) {
    emit(flow([['table', TABLE.BASE_EGRESS], ['priority', 95], ['in_port', p.ofport], ['reg_port', p.ofport], ['dl_src', mac],
      ['dl_type', ETHERTYPE_ARP], ['arp_spa', ip], ['actions', resubmit(TABLE.ACCEPTED_EGRESS_NORMAL)]]));
    emit(flow([['table', TABLE.BASE_EGRESS], ['priority', 65], ['reg_port', p.ofport], ['dl_type', ETHERTYPE.IPv4], ['in_port', p.ofport],
      ['dl_src', mac], ['nw_src', ip], ['actions', ctTo(TABLE.RULES_EGRESS)]]));
  }
  const pairs6 = ownPairs(p, true);
  egressIpv6Icmp(p, pairs6, emit);
  for (const [mac, ip] of pairs6) {
    emit(flow([['table', TABLE.BASE_EGRESS], ['priority', 65], ['reg_port', p.ofport], ['in_port', p.ofport], ['dl_type', ETHERTYPE.IPv6],
      ['dl_src', mac], ['ipv6_src', ip], ['actions', ctTo(TABLE.RULES_EGRESS)]]));
  }
  // DHCP discovery and requests, from each address the port may use (IPv4: and from none yet)
  for (const { family, ports: [dlType, src, dst], unaddressed } of DHCP_REQUEST) {
    const field = family === 'IPv4' ? 'nw_src' : 'ipv6_src';
    for (const [mac, ip] of [...(family === 'IPv4' ? pairs4 : pairs6), ...unaddressed.map((ip): Pair => [p.mac, ip])]) {
      emit(flow([['table', TABLE.BASE_EGRESS], ['priority', 80], ['reg_port', p.ofport], ['in_port', p.ofport], ['dl_type', dlType],
        ['dl_src', mac], [field, ip], ['nw_proto', PROTO_UDP], ['tp_src', src], ['tp_dst', dst], ['actions', resubmit(TABLE.ACCEPT_OR_INGRESS)]]));
    }
  }
  // no DHCP server on an instance
  for (const [dlType, src, dst] of DHCP_SERVER_DROPPED) {
    emit(flow([['table', TABLE.BASE_EGRESS], ['priority', 70], ['in_port', p.ofport], ['reg_port', p.ofport], ['dl_type', dlType],
      ['nw_proto', PROTO_UDP], ['tp_src', src], ['tp_dst', dst], ['actions', resubmit(TABLE.DROPPED)]]));
  }
  // no router advertisements from an instance
  for (const type of EGRESS_ICMP_DROPPED) {
    emit(flow([['table', TABLE.BASE_EGRESS], ['priority', 70], ['in_port', p.ofport], ['reg_port', p.ofport], ['dl_type', ETHERTYPE.IPv6],
      ['nw_proto', PROTO_IPV6_ICMP], ['icmp_type', type], ['actions', resubmit(TABLE.DROPPED)]]));
  }
  // permitted_ethertypes: none by default
  emit(flow([['table', TABLE.BASE_EGRESS], ['priority', 10], ['in_port', p.ofport], ['reg_port', p.ofport], ['actions', `ct_clear,${resubmit(TABLE.DROPPED)}`]]));
  for (const mac of allowedMacs(p)) {
    emit(flow([['table', TABLE.ACCEPT_OR_INGRESS], ['priority', 100], ['dl_dst', mac], ['reg_net', p.vlan],
      ['actions', `set_field:${p.ofport}->reg5,${resubmit(TABLE.BASE_INGRESS)}`]]));
  }
  for (const dlType of [ETHERTYPE.IPv4, ETHERTYPE.IPv6]) {
    emit(flow([['table', TABLE.ACCEPT_OR_INGRESS], ['priority', 90], ['dl_type', dlType], ['reg_port', p.ofport], ['ct_state', '+new-est'],
      ['actions', `ct(commit,zone=${CT_ZONE}),${resubmit(TABLE.ACCEPTED_EGRESS)}`]]));
  }
  emit(flow([['table', TABLE.ACCEPT_OR_INGRESS], ['priority', 80], ['reg_port', p.ofport], ['actions', resubmit(TABLE.ACCEPTED_EGRESS_NORMAL)]]));
  // install_accepted_egress_direct_flow: nothing without explicitly_egress_direct
}

function initializeIngress(p: OfPort, emit: Emit): void {
  const output = `output:${p.ofport}`;
  emit(flow([['table', TABLE.BASE_INGRESS], ['priority', 100], ['dl_type', ETHERTYPE_ARP], ['reg_port', p.ofport], ['actions', output]]));
  for (const type of INGRESS_ICMP) {
    emit(flow([['table', TABLE.BASE_INGRESS], ['priority', 100], ['reg_port', p.ofport], ['dl_type', ETHERTYPE.IPv6],
      ['nw_proto', PROTO_IPV6_ICMP], ['icmp_type', type], ['actions', output]]));
  }
  for (const [dlType, src, dst] of DHCP_OFFER) {
    emit(flow([['table', TABLE.BASE_INGRESS], ['priority', 95], ['reg_port', p.ofport], ['dl_type', dlType], ['nw_proto', PROTO_UDP],
      ['tp_src', src], ['tp_dst', dst], ['actions', output]]));
  }
  for (const dlType of [ETHERTYPE.IPv4, ETHERTYPE.IPv6]) {
    emit(flow([['table', TABLE.BASE_INGRESS], ['priority', 90], ['reg_port', p.ofport], ['dl_type', dlType], ['ct_state', '-trk'],
      ['actions', ctTo(TABLE.RULES_INGRESS)]]));
  }
  emit(flow([['table', TABLE.BASE_INGRESS], ['ct_state', '+trk'], ['priority', 80], ['reg_port', p.ofport], ['actions', resubmit(TABLE.RULES_INGRESS)]]));
}

/** _initialize_tracked_ingress / _egress: invalid and revoked connections dropped, replies and related let through, established ones marked. */
export function trackedFlows(p: OfPort, direction: 'ingress' | 'egress', emit: Emit): void {
  const table = direction === 'ingress' ? TABLE.RULES_INGRESS : TABLE.RULES_EGRESS;
  const accept = direction === 'ingress' ? `output:${p.ofport}` : resubmit(TABLE.ACCEPTED_EGRESS_NORMAL);
  emit(flow([['table', table], ['priority', 50], ['ct_state', '+trk+inv'], ['actions', resubmit(TABLE.DROPPED)]]));
  emit(flow([['table', table], ['priority', 50], ['reg_port', p.ofport], ['ct_mark', CT_MARK_INVALID], ['actions', resubmit(TABLE.DROPPED)]]));
  for (const state of ['+est-rel+rpl', '-new-est+rel-inv']) {
    emit(flow([['table', table], ['priority', 50], ['reg_port', p.ofport], ['ct_state', state], ['ct_mark', CT_MARK_NORMAL], ['ct_zone', p.vlan], ['actions', accept]]));
  }
  emit(flow([['table', table], ['priority', 40], ['reg_port', p.ofport], ['ct_state', '-est'], ['actions', resubmit(TABLE.DROPPED)]]));
  for (const dlType of [ETHERTYPE.IPv4, ETHERTYPE.IPv6]) {
    emit(flow([['table', table], ['priority', 40], ['dl_type', dlType], ['reg_port', p.ofport], ['ct_state', '+est'], ['actions', ctCommitMarkInvalid]]));
  }
}

/** _initialize_egress_no_port_security: a port without port security (or a trusted one) goes straight to ingress or out. */
export function unfilteredPortFlows(ofport: number, vlan: number, emit: Emit): void {
  emit(flow([['table', TABLE.TRANSIENT], ['priority', 100], ['in_port', ofport],
    ['actions', `set_field:${ofport}->reg5,set_field:${vlan}->reg6,${resubmit(TABLE.ACCEPT_OR_INGRESS)}`]]));
  emit(flow([['table', TABLE.ACCEPT_OR_INGRESS], ['priority', 80], ['reg_port', ofport], ['actions', resubmit(TABLE.ACCEPTED_EGRESS_NORMAL)]]));
}
