/**
 * (g) Administrative services (ssh, rdp, vnc, databases, …) open to the
 * whole Internet, directly (no or a /0 remote prefix) or through a remote
 * group whose members' pairs cover the whole address space (a /0 pair, or
 * halves that make one up) — judged on the rules and members the IR gives the
 * group's filtered ports, as exposure and can-reach see them.
 */
import { type PolicyRule } from '../../policy/ir.js';
import { type PairLimit, wideBlocks } from '../../policy/wide-members.js';
import { type Finding, type Found } from '../answers.js';
import { fixRule, holds, subnetsOf } from '../fix/build.js';
import { type Candidate, type FixAction } from '../fix/types.js';
import { type Cloud, groupLabel, groupRef, portLabel, portRef, ruleRef } from '../cloud.js';
import { hasPorts, ruleProtocol } from '../packet.js';
import { intervalOf } from '../ranges.js';
import { holders } from './holders.js';

/** the whole address space, whatever the port */
const WORLD: PairLimit = () => 0;

function adminPortsOpened(r: PolicyRule, admin: number[]): number[] {
  const p = ruleProtocol(r.protocol);
  if (p !== null && !hasPorts(p)) return [];
  if (r.portMin === null) return admin;
  return admin.filter((n) => n >= r.portMin! && n <= (r.portMax ?? r.portMin!));
}

export function adminPortFindings(cloud: Cloud, o: { adminPorts: number[] }): Found[] {
  const findings: Found[] = [];
  // the networks with a subnet of each family (what subnetsOf finds, asked of every finding: bench/audit's 14,000 each scanned every subnet)
  const subnetted = new Set(cloud.snapshot.subnets.map((s) => `${s.network_id} ${s.ip_version === 4 ? 'IPv4' : 'IPv6'}`));
  // many rules name the same few remote groups: each group's members judged once per family
  const worldOfGroup = new Map<string, string | null>();
  /** How the rule admits the whole Internet, or undefined. */
  const worldVia = (r: PolicyRule): string | undefined => {
    if (r.remote.kind === 'any') return 'no remote prefix (any source)';
    if (r.remote.kind === 'prefix') return intervalOf(r.remote.cidr).prefixlen === 0 ? `remote prefix ${r.remote.cidr}` : undefined;
    const key = `${r.ethertype} ${r.remote.groupId}`;
    let via = worldOfGroup.get(key);
    if (via === undefined) {
      const [world] = wideBlocks(cloud.members(r.remote.groupId, r.ethertype), WORLD);
      const pairs = world?.pairs.map((m) => `member ${portLabel(cloud.ports.get(m.portId)!)} has allowed-address pair ${m.ip}`);
      worldOfGroup.set(key, (via = pairs ? `remote group ${groupLabel(cloud, r.remote.groupId)}, whose ${pairs.join(' and ')}` : null));
    }
    return via ?? undefined;
  };
  for (const groupId of cloud.portsOfGroup.keys()) {
    // the ports the group's rules are in force on
    const { ports } = holders(cloud, groupId);
    if (!ports.length) continue;
    const group = groupLabel(cloud, groupId);
    for (const r of cloud.groupRules(groupId)) {
      if (r.direction !== 'ingress' || r.origin.kind !== 'group') continue;
      const opened = adminPortsOpened(r, o.adminPorts);
      if (!opened.length) continue;
      const via = worldVia(r);
      if (!via) continue;
      const rule = cloud.rules.get(r.origin.ruleId)!;
      const service = r.portMin === null ? `${r.protocol ?? 'any protocol'} (all ports)` : `${r.protocol}/${r.portMin}${r.portMax !== r.portMin ? `-${r.portMax}` : ''}`;
      findings.push({
        check: 'admin-port-open-to-world',
        severity: r.remote.kind === 'group' ? 'critical' : 'high',
        title: `group ${group} opens ${opened.length > 3 ? `${opened.length} admin ports` : opened.map((n) => `port ${n}`).join(', ')} to the whole Internet (${r.ethertype}) on ${ports.length} port(s)`,
        objects: [groupRef(cloud, groupId), ruleRef(rule), ...ports.map(portRef)],
        key: [rule.id],
        evidence: [
          `rule ${rule.id}: ingress ${r.ethertype} ${service} via ${via}`, `ports: ${ports.slice(0, 10).map((p) => portLabel(p)).join(', ')}${ports.length > 10 ? ', …' : ''}`,
          ...(r.remote.kind === 'group' ? [`the fix is the wide-pair finding's: the members' pairs out of group ${groupLabel(cloud, r.remote.groupId)}`]
            : !ports.some((p) => subnetted.has(`${p.network_id} ${r.ethertype}`)) ? [`no proven fix: the snapshot holds no ${r.ethertype} subnet of the ports' networks, and which network should reach ${service} only you know`] : []),
        ],
      });
    }
  }
  return findings;
}

/**
 * A world-open admin rule narrowed to the subnets of its ports' networks (the one range the
 * snapshot tells is the project's own): the narrower rules created first, the rule deleted after.
 * A rule open through a remote group's wide pairs is the wide-pair finding's to fix.
 */
export function adminPortFixes(cloud: Cloud, f: Finding): Candidate[] {
  const rule = cloud.rules.get(f.objects[1]?.id ?? '');
  if (!rule || rule.remote_group_id) return [];
  const networks = (cloud.portsOfGroup.get(rule.security_group_id) ?? []).map((p) => p.network_id);
  const subnets = subnetsOf(cloud, networks, rule.ethertype);
  if (!subnets.length) return [];
  const creates = subnets.map((s) => fixRule(rule, { remote_ip_prefix: s.cidr, description: `was open to the world (rule ${rule.id}); now subnet ${s.name || s.id}` }))
    .filter((r) => !holds(cloud, rule.security_group_id, r)).map((r): FixAction => ({ op: 'create-rule', group: { id: rule.security_group_id }, rule: r }));
  return [{
    kind: 'restrict-to-own-subnets',
    title: `narrow rule ${rule.id} of group ${groupLabel(cloud, rule.security_group_id)} to ${subnets.map((s) => s.cidr).join(', ')}`,
    caveats: ['sources outside these subnets (operators\' own networks, a bastion) lose access: add their prefixes if they need it'],
    actions: [...creates, { op: 'delete-rule', rule: rule.id }],
  }];
}
