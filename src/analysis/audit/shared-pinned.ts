/**
 * A Neutron bug of the openvswitch firewall: it merges a network's conjunction ids by address
 * (firewall.py `_update_flows_for_vlan_subr`, ip_to_conj), and every exact /0 pair is the same
 * address, so a port holding one matches, from its own MAC, every remote group with a /0 member
 * that the node's rules on that network name — groups it is not in. Read off the analyzer's own
 * members: what the enforcing port's node matches (membersAt) less the group's own (membersUnder).
 */
import { type Finding, type Found } from '../answers.js';
import { type Candidate, type FixAction } from '../fix/types.js';
import { type Cloud, groupLabel, groupRef, networkRef, portLabel, portRef, ruleRef } from '../cloud.js';
import { type Member } from '../../policy/ir.js';
import { BACKEND_SEMANTICS, NEUTRON_BACKENDS, type NeutronBackend } from '../../policy/neutron-backends.js';
import { type SnapshotPort, type SnapshotRule } from '../snapshot.js';
import { holders } from './holders.js';
import { ruleSummary } from './wide-pairs.js';

const memberKey = (m: Member) => `${m.portId}|${m.ip}|${m.srcMac ?? ''}`;

/** One rule naming a group, enforced by the ports of one network on one node. */
interface Case {
  groupId: string;
  rule: SnapshotRule;
  networkId: string;
  host: string | undefined;
  backend: NeutronBackend;
  enforcing: SnapshotPort[];
  /** the outsiders' shared members, by port */
  outsiders: Map<string, Member>;
  /** the group's own MAC-pinned members at the outsiders' addresses */
  sharers: Member[];
}

/**
 * Only a frame from the outsider's own MAC matches it: arriving at an ingress rule, the outsider
 * is on the enforcing port's network (routed frames carry the router's MAC, as can-reach's
 * framesFrom has it); leaving by an egress rule, the outsider is the enforcing port itself.
 */
const framesReach = (rule: SnapshotRule, enforcing: SnapshotPort, outsider: SnapshotPort) =>
  rule.direction === 'ingress' ? outsider.network_id === enforcing.network_id && outsider.id !== enforcing.id : outsider.id === enforcing.id;

function cases(cloud: Cloud): Case[] {
  const found = new Map<string, Case>();
  // what a network's node matches beyond a group's own members is the same for every port there holding a rule naming it
  const foreignAt = new Map<string, Member[]>();
  for (const [groupId, naming] of cloud.rulesReferencing) {
    for (const rule of naming) {
      const { ports, backends } = holders(cloud, rule.security_group_id);
      for (let i = 0; i < ports.length; i++) {
        const backend = backends[i];
        if (!BACKEND_SEMANTICS[backend].pinnedMembersShared) continue;
        const p = ports[i];
        const host = p['binding:host_id'];
        const at = `${groupId}|${rule.ethertype}|${rule.direction}|${p.network_id}|${host ?? ''}|${backend}`;
        let foreign = foreignAt.get(at);
        if (!foreign) {
          const own = new Set(cloud.membersUnder(backend)(groupId, rule.ethertype).map(memberKey));
          foreignAt.set(at, (foreign = cloud.membersAt(p.id)(groupId, rule.ethertype, rule.direction).filter((m) => !own.has(memberKey(m)))));
        }
        const outsiders = foreign.filter((m) => {
          const holder = cloud.ports.get(m.portId);
          return holder !== undefined && framesReach(rule, p, holder);
        });
        if (!outsiders.length) continue;
        const key = `${rule.id}|${at}`;
        let c = found.get(key);
        if (!c) {
          const sharers = cloud.membersUnder(backend)(groupId, rule.ethertype).filter((o) => o.srcMac && outsiders.some((m) => m.ip === o.ip));
          found.set(key, (c = { groupId, rule, networkId: p.network_id, host, backend, enforcing: [], outsiders: new Map(), sharers }));
        }
        c.enforcing.push(p);
        for (const m of outsiders) c.outsiders.set(m.portId, m);
      }
    }
  }
  return [...found.values()];
}

/** The backends on which the outsider stays outside, and why. */
function elsewhere(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const b of NEUTRON_BACKENDS) {
    const s = BACKEND_SEMANTICS[b];
    if (s.pinnedMembersShared) continue;
    out[s.label] = s.pairsAreMembers
      ? 'each group has its own ipset: a pair is a member of its own port\'s groups only (and a /0 pair opens the rule to every source: see wide-pair-in-remote-group)'
      : 'allowed-address pairs are not remote-group members: the rule admits the group\'s fixed IPs only';
  }
  return out;
}

/** The rules that put the outsider's /0 in the merge: same direction and family, naming one of its groups, held on the case's network and node. */
function namingOwn(cloud: Cloud, c: Case, outsider: SnapshotPort): string {
  const rules = outsider.security_groups.flatMap((g) => cloud.rulesReferencing.get(g) ?? []).filter((r) => r.direction === c.rule.direction && r.ethertype === c.rule.ethertype
    && (cloud.portsOfGroup.get(r.security_group_id) ?? []).some((q) => q.network_id === c.networkId && q['binding:host_id'] === c.host && cloud.kind(q.id) === 'filtered'));
  return rules.length
    ? `this network's ports on the node name its group${rules.length > 1 ? 's' : ''} too: ${rules.map((r) => ruleSummary(cloud, r)).join('; ')}`
    : 'its group is named on this network by a rule of the same direction and family';
}

function finding(cloud: Cloud, c: Case): Found {
  const group = groupLabel(cloud, c.groupId);
  const outsiders = [...c.outsiders.values()].map((m) => ({ m, port: cloud.ports.get(m.portId)! }));
  const names = outsiders.map(({ port }) => portLabel(port)).join(', ');
  const network = cloud.networks.get(c.networkId)?.name || c.networkId;
  const where = `network ${network}${c.host ? ` on node ${c.host}` : ''}`;
  const ingress = c.rule.direction === 'ingress';
  return {
    check: 'ovs-shared-wildcard-member',
    severity: 'high',
    title: `${names} ${outsiders.length > 1 ? 'are' : 'is'} not in group ${group}, yet on ${c.backend} the rule ${c.rule.id} naming ${group} ${ingress ? `admits ${outsiders.length > 1 ? 'their' : 'its'} traffic from any source address` : 'lets it send to any address'} on ${where}`,
    key: [c.groupId, c.rule.id, c.networkId, c.host ?? '', c.backend],
    objects: [groupRef(cloud, c.groupId), ruleRef(c.rule), groupRef(cloud, c.rule.security_group_id), networkRef(cloud, c.networkId),
      ...outsiders.map(({ port }) => portRef(port)), ...c.sharers.map((m) => portRef(cloud.ports.get(m.portId)!)), ...c.enforcing.map(portRef)],
    evidence: [
      `${ruleSummary(cloud, c.rule)}, enforced at ${c.enforcing.map((p) => portLabel(p)).join(', ')} on ${where}`,
      ...c.sharers.map((m) => `group ${group}'s member ${portLabel(cloud.ports.get(m.portId)!)} holds allowed-address pair ${m.ip}, matched only from MAC ${m.srcMac}`),
      ...outsiders.map(({ m, port }) => `${portLabel(port)} (${port.id}) is not in ${group} but holds allowed-address pair ${m.ip} (MAC ${m.srcMac}), and ${namingOwn(cloud, c, port)}`),
      `the ${BACKEND_SEMANTICS[c.backend].label} gives an address one set of conjunction ids per network (Neutron's firewall.py _update_flows_for_vlan_subr merges them by address, ip_to_conj): every exact /0 is the same address, so frames from ${outsiders.map(({ m }) => m.srcMac).join(', ')} carry ${group}'s conjunction and match the rule from any ${ingress ? 'source' : 'destination'} address`,
    ],
    backends: elsewhere(),
    backend: c.backend,
  };
}

export function sharedPinnedFindings(cloud: Cloud): Found[] {
  return cases(cloud).map((c) => finding(cloud, c));
}

/**
 * The pinned /0 pairs of the ports outside the group taken off: they are the bug's only trigger.
 * What the ports sent from other addresses through them is closed (the proof lists it); the
 * prefixes they really send from are for their owner to add, which the snapshot does not tell.
 */
export function dropPinnedPairFixes(cloud: Cloud, f: Finding): Candidate[] {
  const groupId = f.objects[0].id;
  const outsiders = f.objects.flatMap((o) => (o.type === 'port' ? cloud.ports.get(o.id) ?? [] : []))
    .filter((p, i, all) => all.indexOf(p) === i && !p.security_groups.includes(groupId) && p.allowed_address_pairs.some((x) => x.ip_address.endsWith('/0')));
  if (!outsiders.length) return [];
  return [{
    kind: 'drop-pinned-wildcard-pair',
    title: `take the /0 allowed-address pair off ${outsiders.map((p) => portLabel(p)).join(', ')}`,
    caveats: ['if the port forwards traffic (NAT, a router instance), add the prefixes it really sends from as pairs, each narrower than /0'],
    actions: outsiders.map((p): FixAction => ({ op: 'set-port-pairs', port: p.id, pairs: p.allowed_address_pairs.filter((x) => !x.ip_address.endsWith('/0')) })),
  }];
}
