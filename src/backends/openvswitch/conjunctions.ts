/**
 * Remote-group rules as OpenFlow conjunctions (firewall.py ConjIdMap,
 * ConjIPFlowManager, _add_non_ip_conj_flows): dimension 2/2 matches the
 * port and the rule, dimension 1/2 each member address of the remote group
 * on the port's network; a conj_id is allocated per (group, remote group,
 * direction, ethertype) in the order ports name them.
 */
import { formatNetwork, parseCidr } from '../../model/addresses.js';
import { type Direction, type Ethertype } from '../../model/security-group-rule.js';
import { flow } from './flow.js';
import { type Emit } from './port-flows.js';
import {
  conjAcceptFlows, conjPriorityOffset, conjunctionFlows, type DriverRule, type FlowPort, mergeCommonRules, mergePortRanges, prefixField,
  priorityOffset, ruleFlows,
} from './rules.js';
import { ETHERTYPE, TABLE } from './tables.js';

/** ConjIdMap on a bridge without conjunctions yet: blocks of 8 from 16. */
export class ConjIdMap {
  private readonly ids = new Map<string, number>();
  private max = 8;

  get(sgId: string, remoteId: string, direction: Direction, ethertype: Ethertype): number {
    const key = JSON.stringify([sgId, remoteId, direction, ethertype]);
    let id = this.ids.get(key);
    if (id === undefined) this.ids.set(key, (id = this.max += 8));
    return id;
  }
}

/** A remote group's member as the agent gets it, (address as stored, MAC as stored), and whether the IR pins it to that MAC. */
export interface MemberAddress {
  ip: string;
  mac: string;
  pinned: boolean;
}

/** Per network (local VLAN), per (direction, ethertype), per remote group: the conj_ids its members feed. */
export class ConjIpFlows {
  private readonly byVlan = new Map<number, Map<string, Map<string, Set<number>>>>();

  constructor(private readonly idMap: ConjIdMap) {}

  /** ConjIPFlowManager.add */
  add(vlan: number, sgId: string, remoteId: string, direction: Direction, ethertype: Ethertype, offset: number): number {
    const conjId = this.idMap.get(sgId, remoteId, direction, ethertype) + offset * 2;
    if (!this.byVlan.has(vlan)) this.byVlan.set(vlan, new Map());
    const perVlan = this.byVlan.get(vlan)!;
    const key = `${direction} ${ethertype}`;
    if (!perVlan.has(key)) perVlan.set(key, new Map());
    const perRemote = perVlan.get(key)!;
    if (!perRemote.has(remoteId)) perRemote.set(remoteId, new Set());
    perRemote.get(remoteId)!.add(conjId);
    return conjId;
  }

  /**
   * update_flows_for_vlan as it ends a fresh sync: every member address of the network's remote
   * groups, with the conj_ids of every group holding an address of its network (the driver merges
   * them by CIDR, so a /0 pinned to one MAC also feeds another group's /0).
   */
  memberFlows(vlan: number, members: (remoteId: string, ethertype: Ethertype) => readonly MemberAddress[], emit: Emit): void {
    for (const [key, perRemote] of this.byVlan.get(vlan) ?? []) {
      const [direction, ethertype] = key.split(' ') as [Direction, Ethertype];
      const addrToConj = new Map<string, { addr: MemberAddress; cidr: string }>();
      const ipToConj = new Map<string, Set<number>>();
      for (const [remoteId, ids] of perRemote) {
        for (const addr of members(remoteId, ethertype)) {
          const k = JSON.stringify([addr.ip, addr.mac]);
          const cidr = formatNetwork(parseCidr(addr.ip, true)!);
          if (!addrToConj.has(k)) addrToConj.set(k, { addr, cidr });
          if (!ipToConj.has(cidr)) ipToConj.set(cidr, new Set());
          for (const id of ids) ipToConj.get(cidr)!.add(id);
        }
      }
      for (const { addr, cidr } of addrToConj.values()) {
        const ids = [...ipToConj.get(cidr)!].sort((a, b) => a - b);
        addressFlows(addr, cidr, direction, ethertype, vlan, ids, emit);
      }
    }
  }
}

/** rules.create_flows_for_ip_address: one member address's 1/2 flows, per priority its conj_ids need. */
function addressFlows({ mac, pinned }: MemberAddress, cidr: string, direction: Direction, ethertype: Ethertype, vlan: number, conjIds: number[], emit: Emit): void {
  const template = flow([['dl_type', ETHERTYPE[ethertype]], ['reg_net', vlan], ['table', direction === 'egress' ? TABLE.RULES_EGRESS : TABLE.RULES_INGRESS]]);
  template.set(prefixField(cidr, direction), cidr);
  // an any-address member matches only frames from the MAC it came with (bug 1867119; the membership index says which)
  if (pinned) template.set('dl_src', mac);
  const byOffset: number[][] = [[], [], [], []];
  for (const id of conjIds) byOffset[conjPriorityOffset(id)].push(id);
  byOffset.forEach((ids, offset) => {
    if (!ids.length) return;
    template.set('priority', 70 + offset);
    for (const f of conjunctionFlows([template], 1, ids)) emit(f);
  });
}

/** A remote-group rule with the group it belongs to. */
export interface RemoteRule {
  sgId: string;
  rule: DriverRule & { remote_group_id: string };
}

const PORT_PROTOCOLS = new Set<unknown>([6, 17, 132]);

/** _add_non_ip_conj_flows: the port's 2/2 flows (rules merged per direction, ethertype and protocol) and the flows accepting each conjunction. */
export function portConjunctionFlows(port: FlowPort & { vlan: number }, rules: readonly RemoteRule[], manager: ConjIpFlows, emit: Emit): void {
  const byKey = new Map<string, [DriverRule, number][]>();
  for (const { sgId, rule } of rules) {
    const conjId = manager.add(port.vlan, sgId, rule.remote_group_id, rule.direction, rule.ethertype, priorityOffset(rule));
    const { remote_group_id: _remote, ...rest } = rule;
    const key = JSON.stringify([rule.direction, rule.ethertype, rule.protocol ?? null]);
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key)!.push([rest, conjId]);
  }
  for (const list of byKey.values()) {
    const { direction, ethertype, protocol } = list[0][0];
    const allIds = new Set(list.map(([, id]) => id));
    const merged = PORT_PROTOCOLS.has(protocol) ? mergePortRanges(list) : mergeCommonRules(list);
    for (const [rule, ids] of merged) {
      for (const f of conjunctionFlows(ruleFlows(rule, port, true), 2, ids)) emit(f);
    }
    for (const id of allIds) for (const f of conjAcceptFlows(port, id, direction, ethertype)) emit(f);
  }
}
