/** Pieces the checks build their fixes from: a rule as a fix creates it, a group of a port's own. */
import { type Cloud, groupLabel, portLabel } from '../cloud.js';
import { type SnapshotPort, type SnapshotRule } from '../snapshot.js';
import { type FixAction, type FixRef, type FixRule } from './types.js';

/** A snapshot rule as `rule create` takes it; its remote group (if any) as `remote` says, else its own. */
export function fixRule(r: SnapshotRule, over: Partial<FixRule> = {}): FixRule {
  return {
    direction: r.direction, ethertype: r.ethertype, protocol: r.protocol, port_range_min: r.port_range_min, port_range_max: r.port_range_max,
    remote_ip_prefix: r.remote_ip_prefix, remote_group: r.remote_group_id ? { id: r.remote_group_id } : null, ...over,
  };
}

/** Neutron's stock egress rule of a new group: any protocol, anywhere. */
const isStockEgress = (r: SnapshotRule) => r.direction === 'egress' && r.protocol === null && r.port_range_min === null && !r.remote_group_id
  && (!r.remote_ip_prefix || r.remote_ip_prefix === (r.ethertype === 'IPv4' ? '0.0.0.0/0' : '::/0'));

/** Whether the rules allow all egress in both families, as a new group's stock rules do. */
export const allowsAllEgress = (rules: readonly SnapshotRule[]) => ['IPv4', 'IPv6'].every((f) => rules.some((r) => r.ethertype === f && isStockEgress(r)));

/** A name the API and a shell take as it is. */
export const slug = (s: string) => s.replace(/[^\w.-]+/g, '-');

/**
 * A new group in the port's own project with the rules of `groupId`: Neutron's stock allow-all egress
 * kept only when the group's rules allow all egress themselves (then they are not copied twice), else
 * deleted at once, so the port gains no egress. Remote groups stay as they were, the group itself
 * included: the port keeps admitting its old peers.
 */
export function ownGroupCopy(cloud: Cloud, port: SnapshotPort, groupId: string, as: string, why: string): FixAction[] {
  const rules = cloud.rulesOfGroup.get(groupId) ?? [];
  const keep = allowsAllEgress(rules);
  const group: FixRef = { created: as };
  return [
    { op: 'create-group', as, name: `${slug(portLabel(port))}-${slug(groupLabel(cloud, groupId))}`, project: port.project_id, description: `${portLabel(port)} apart from ${groupLabel(cloud, groupId)}: ${why}`, stockEgress: keep ? 'keep' : 'delete' },
    ...rules.filter((r) => !(keep && isStockEgress(r))).map((r): FixAction => ({ op: 'create-rule', group, rule: fixRule(r) })),
  ];
}

/** The port's groups with one replaced. */
export const replacedIn = (port: SnapshotPort, groupId: string, by: FixRef): FixRef[] => port.security_groups.map((g) => (g === groupId ? by : { id: g }));

/** A host prefix of an address. */
export const hostPrefix = (ip: string) => `${ip}/${ip.includes(':') ? 128 : 32}`;

/** Whether the group already holds a rule like this one (Neutron would refuse it as a duplicate). */
export function holds(cloud: Cloud, groupId: string, r: FixRule): boolean {
  return (cloud.rulesOfGroup.get(groupId) ?? []).some((x) => x.direction === r.direction && x.ethertype === r.ethertype && x.protocol === r.protocol
    && x.port_range_min === r.port_range_min && x.port_range_max === r.port_range_max && x.remote_ip_prefix === r.remote_ip_prefix
    && (x.remote_group_id ?? null) === (r.remote_group && 'id' in r.remote_group ? r.remote_group.id : null));
}

/** The subnets of the networks, of one family. */
export const subnetsOf = (cloud: Cloud, networks: Iterable<string>, ethertype: 'IPv4' | 'IPv6') => {
  const ids = new Set(networks);
  return cloud.snapshot.subnets.filter((s) => ids.has(s.network_id) && (s.ip_version === 4) === (ethertype === 'IPv4'));
};
