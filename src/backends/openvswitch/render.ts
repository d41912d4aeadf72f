/**
 * One node's br-int flows after a sync of every local port, in the order
 * Neutron 21's OVS agent and OVSFirewallDriver send them: the driver's own
 * tables, then each port in device order (filtered ports' base, rule and
 * conjunction flows; ports without port security straight through), the
 * trusted ports, and each network's remote-group member flows. Pure: the IR
 * and the node's OVSDB facts in, the flow table out.
 */
import { type Member, type PolicyRule, type PortPolicy } from '../../policy/ir.js';
import { linkLocal } from '../../policy/compile.js';
import { type PolicyEngine } from '../../policy/engine.js';
import { type Ethertype } from '../../model/security-group-rule.js';
import { ConjIdMap, ConjIpFlows, type MemberAddress, portConjunctionFlows, type RemoteRule } from './conjunctions.js';
import { driverFlow, flow, type Flow, FlowTable } from './flow.js';
import { type OvsdbFacts } from './ovsdb.js';
import { type Emit, initializePortFlows, type OfPort, trackedFlows, unfilteredPortFlows } from './port-flows.js';
import { acceptFlows, driverProtocol, type DriverRule, ruleFlows } from './rules.js';
import { FIREWALL_TABLES, TABLE } from './tables.js';

/** The rule dict the OVS agent's cache hands the driver (securitygroups_rpc_base), protocol converted. */
function driverRule(r: PolicyRule): DriverRule {
  const rule: DriverRule = { direction: r.direction, ethertype: r.ethertype };
  if (r.protocol !== null) rule.protocol = driverProtocol(r.protocol, r.ethertype);
  if (r.portMin !== null) rule.port_range_min = r.portMin;
  if (r.portMax !== null) rule.port_range_max = r.portMax;
  if (r.remote.kind === 'prefix') rule[r.direction === 'ingress' ? 'source_ip_prefix' : 'dest_ip_prefix'] = r.remote.cidr;
  if (r.remote.kind === 'group') rule.remote_group_id = r.remote.groupId;
  return rule;
}

/** The same rule dict as the server writes it (protocol as stored): it sends a group's equal rules once. */
const ruleDictKey = (groupId: string, r: PolicyRule) =>
  JSON.stringify([groupId, r.direction, r.ethertype, r.protocol, r.portMin, r.portMax, r.remote]);

/** The port's rules as the driver walks them: its groups in order, each group's distinct rules. */
function portRules(pp: PortPolicy): { raw: DriverRule[]; remote: RemoteRule[] } {
  const raw: DriverRule[] = [];
  const remote: RemoteRule[] = [];
  const seen = new Set<string>();
  for (const r of pp.groupRules) {
    if (r.origin.kind !== 'group') continue;
    const key = ruleDictKey(r.origin.groupId, r);
    if (seen.has(key)) continue;
    seen.add(key);
    const rule = driverRule(r);
    if (rule.remote_group_id !== undefined) remote.push({ sgId: r.origin.groupId, rule: rule as RemoteRule['rule'] });
    else raw.push(rule);
  }
  return { raw, remote };
}

/** The driver's OFPort of a filtered port. */
function ofPort(pp: PortPolicy, facts: OvsdbFacts): OfPort {
  const p = pp.port;
  return {
    ofport: facts.ofport(p.id), vlan: facts.vlan(p.id), mac: p.mac_address, lla: linkLocal(p.mac_address),
    fixedIps: p.fixed_ips, pairs: p.allowed_address_pairs.map((a): [string, string] => [a.stored_mac, a.ip_address]),
  };
}

/** _drop_all_unmatched_flows, _initialize_common_flows, _initialize_third_party_tables */
function driverTables(emit: Emit): void {
  for (const table of FIREWALL_TABLES) emit(flow([['table', table], ['priority', 0], ['actions', 'drop']]));
  emit(flow([['table', TABLE.BASE_EGRESS], ['priority', 110], ['ct_state', '+trk'], ['actions', `ct_clear,resubmit(,${TABLE.BASE_EGRESS})`]]));
  emit(flow([['table', TABLE.ACCEPTED_EGRESS_NORMAL], ['priority', 1], ['actions', 'normal']]));
  emit(flow([['table', TABLE.ACCEPTED_EGRESS], ['priority', 1], ['actions', `resubmit(,${TABLE.ACCEPTED_EGRESS_NORMAL})`]]));
  for (const table of [TABLE.ACCEPTED_INGRESS, TABLE.DROPPED]) emit(flow([['table', table], ['priority', 0], ['actions', 'drop']]));
}

/** prepare_port_filter of a port with port security: _set_port_filters (its member flows come per network at the end). */
function filteredPort(pp: PortPolicy, facts: OvsdbFacts, conj: ConjIpFlows, emit: Emit): number {
  const port = ofPort(pp, facts);
  initializePortFlows(port, emit);
  trackedFlows(port, 'ingress', emit);
  trackedFlows(port, 'egress', emit);
  const { raw, remote } = portRules(pp);
  for (const rule of raw) for (const f of ruleFlows(rule, port)) for (const a of acceptFlows(f)) emit(a);
  portConjunctionFlows(port, remote, conj, emit);
  return port.vlan;
}

/** A member as the agent's cache gives it: its address, and the MAC as stored (the port's for a fixed IP, the pair's as written). */
function memberAddress(engine: PolicyEngine, m: Member): MemberAddress {
  const pinned = m.srcMac !== undefined;
  if (m.via !== 'address_pair') return { ip: m.ip, mac: m.mac ?? '', pinned };
  const pair = engine.port(m.portId)?.allowed_address_pairs.find((a) => a.ip_address === m.ip && a.mac_address === m.mac);
  return { ip: m.ip, mac: pair?.stored_mac ?? m.mac ?? '', pinned };
}

/** The flows a fresh sync of the engine's local ports leaves on br-int, sorted as `ovs-ofctl dump-flows`' golden dump. */
export function renderFlows(engine: PolicyEngine, facts: OvsdbFacts): string[] {
  const table = new FlowTable();
  const emit = (f: Flow) => table.add(driverFlow(f));
  driverTables(emit);
  const conj = new ConjIpFlows(new ConjIdMap());
  const vlans = new Set<number>();
  const trusted: PortPolicy[] = [];
  for (const pp of engine.localPolicies()) {
    if (pp.kind === 'trusted') trusted.push(pp);
    else if (pp.kind === 'unfiltered') unfilteredPortFlows(facts.ofport(pp.port.id), facts.vlan(pp.port.id), emit);
    else vlans.add(filteredPort(pp, facts, conj, emit));
  }
  // process_trusted_ports: the server leaves them out of the devices, the agent passes them after the others
  for (const pp of trusted) unfilteredPortFlows(facts.ofport(pp.port.id), facts.vlan(pp.port.id), emit);
  const members = (g: string, family: Ethertype) => engine.membersOf(g, family).map((m) => memberAddress(engine, m));
  for (const vlan of vlans) conj.memberFlows(vlan, members, emit);
  return table.dump();
}
