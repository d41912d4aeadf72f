/**
 * (h) Remote-group members an agent holds that the API no longer gives (or lacks
 * ones it gives): Neutron's server notifies a group's members of some changes only
 * (on linuxbridge, not of a port's allowed-address pairs), and the agent keeps its
 * cached members until something refreshes them. After the NAT server's `0.0.0.0/0`
 * pair is removed, the nodes whose ports' rules name its group keep `0.0.0.0/1` and
 * `128.0.0.0/1` in that group's ipset. Judged on the IR each node's agent enforces
 * (cloud.agents, e.g. `portsec serve --agent-state neutron-21`) against the API's.
 */
import { ipsetEntries } from '../../backends/iptables/render.js';
import { FAMILIES, type Family, type Member, type PortPolicy } from '../../policy/ir.js';
import { limitText, wideBlocks } from '../../policy/wide-members.js';
import { type Finding, type Found } from '../answers.js';
import { slug } from '../fix/build.js';
import { type Candidate } from '../fix/types.js';
import { type Cloud, groupLabel, groupRef, portLabel, portRef } from '../cloud.js';
import { type AuditOptions, pairLimitIn } from './options.js';

/** One node's difference for one group: what its agent holds beyond the API's members, and what it lacks. */
interface Drift {
  host: string;
  groupId: string;
  family: Family;
  stale: Member[];
  missing: Member[];
  /** the node's filtered ports with a rule naming the group in that family */
  ports: PortPolicy[];
}

function drifts(cloud: Cloud): Drift[] {
  const out: Drift[] = [];
  for (const { host, policy } of cloud.agents ?? []) {
    // members the API gives under another backend's semantics differ by design, not by staleness
    if (policy.options.backend !== cloud.topology.options.backend) continue;
    for (const [groupId, held] of policy.remoteGroups) {
      for (const family of FAMILIES) {
        const holds = held[family];
        if (!holds) continue;
        const gives = cloud.members(groupId, family);
        const stale = holds.filter((m) => !gives.some((g) => g.ip === m.ip));
        const missing = gives.filter((m) => !holds.some((h) => h.ip === m.ip));
        if (!stale.length && !missing.length) continue;
        const ports = policy.ports.filter((pp) => pp.kind === 'filtered' && pp.rules.some((r) => r.remote.kind === 'group' && r.remote.groupId === groupId && r.ethertype === family));
        out.push({ host, groupId, family, stale, missing, ports });
      }
    }
  }
  return out;
}

/** A member's addresses as the node holds them: a /0 is two /1 ipset entries. */
const entries = (cloud: Cloud, m: Member) => (cloud.topology.options.enableIpset ? ipsetEntries(m.ip) : [m.ip]);

/** A member as the node spells it, and where it came from. */
function memberText(cloud: Cloud, m: Member): string {
  const port = cloud.ports.get(m.portId);
  const owner = port ? portLabel(port) : `deleted port ${m.portId}`;
  return `${entries(cloud, m).join(' and ')} (${m.via === 'address_pair' ? `allowed-address pair ${m.ip}` : 'fixed IP'} of ${owner})`;
}

/**
 * What makes the server notify the group's members, so that every node refetches them: a
 * port created in the group (the real agent refreshes then; deleting it after refreshes again).
 * Checked against Neutron's agent in test/stale-members.test.ts. The network: one of the group's
 * ports' (else an affected port's), so the port can be created.
 */
export function refreshFixes(cloud: Cloud, f: Finding): Candidate[] {
  const groupId = f.objects[0].id;
  const group = cloud.groups.get(groupId);
  const network = cloud.portsOfGroup.get(groupId)?.[0]?.network_id ?? f.objects.flatMap((o) => cloud.ports.get(o.id) ?? [])[0]?.network_id;
  if (!group || !network) return [];
  return [{
    kind: 'refresh-members',
    title: `make every agent refetch the members of group ${groupLabel(cloud, groupId)}: a port created in it and deleted again`,
    caveats: [],
    actions: [{ op: 'refresh-members', group: groupId, network, project: group.project_id, name: `refresh-${slug(groupLabel(cloud, groupId))}` }],
  }];
}

export function staleMemberFindings(cloud: Cloud, o: AuditOptions): Found[] {
  // nodes with the same difference for a group are one finding
  const byDiff = new Map<string, Drift[]>();
  for (const d of drifts(cloud)) {
    const key = JSON.stringify([d.groupId, d.family, d.stale.map((m) => m.ip).sort(), d.missing.map((m) => m.ip).sort()]);
    byDiff.set(key, [...byDiff.get(key) ?? [], d]);
  }
  return [...byDiff.values()].map((ds): Found => {
    const { groupId, family, stale, missing } = ds[0];
    const hosts = ds.map((d) => d.host);
    const group = groupLabel(cloud, groupId);
    const wide = wideBlocks(stale, pairLimitIn(cloud, o.widePair));
    const admitted = stale.map((m) => memberText(cloud, m));
    const affected = ds.flatMap((d) => d.ports.map((pp) => ({ host: d.host, port: cloud.ports.get(pp.port.id) })));
    return {
      check: 'stale-members',
      severity: wide.length ? 'critical' : stale.length ? 'high' : 'medium',
      title: stale.length
        ? `remote group ${group} still admits ${stale.flatMap((m) => entries(cloud, m)).join(' and ')} on ${hosts.join(', ')} (${family}): `
          + `${stale.every((m) => m.via === 'address_pair') ? 'pair removed' : 'member gone'}, remote group still open on these nodes until the next member refresh`
        : `remote group ${group} lacks ${missing.flatMap((m) => entries(cloud, m)).join(' and ')} on ${hosts.join(', ')} (${family}) until the next member refresh`,
      key: [groupId, family, ...hosts],
      objects: [groupRef(cloud, groupId), ...[...stale, ...missing].flatMap((m) => cloud.ports.get(m.portId) ?? []).map(portRef), ...affected.flatMap((a) => a.port ?? []).map(portRef)],
      evidence: [
        ...(admitted.length ? [`the agent on ${hosts.join(', ')} still admits, as members of ${group}: ${admitted.join('; ')}; the API no longer gives ${stale.length > 1 ? 'them' : 'it'}`] : []),
        ...(missing.length ? [`the agent on ${hosts.join(', ')} lacks members the API gives ${group}: ${missing.map((m) => memberText(cloud, m)).join('; ')}`] : []),
        ...wide.map((b) => `${b.cidr} is wide (${limitText(o.widePair, family)})`),
        `ports whose rules name ${group}, affected: ${affected.map((a) => `${a.port ? portLabel(a.port) : 'a port'} on ${a.host}`).join(', ') || 'none'}`,
        `Neutron's server does not tell the other agents of an allowed-address-pair change (linuxbridge): the members stay as last fetched until a change it does notify (a port joining or leaving ${group}, its fixed IPs changing) or the L2 agent restarting on ${hosts.join(', ')}`,
      ],
    };
  });
}
