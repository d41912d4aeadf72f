/**
 * What an agent reads for the changes logged since it last looked: only the
 * ports and the security groups (with their rules) the changes name, and the
 * groups those rules name as remotes, read in the same snapshot as the changes.
 */
import { type Port } from '../model/port.js';
import { type Change, type Repositories } from '../store/repository.js';
import { groupInputs } from '../store/topology.js';

export interface ChangeRead {
  /** the seq of the last change read */
  last: number;
  /** ports the changes name, in order of first change */
  ports: Set<string>;
  /** those of them that still exist */
  found: Map<string, Port>;
  /** the groups the changes name that still exist, with their rules, in creation order */
  groups: Record<string, unknown>[];
}

/** The groups a change touches: a group's own, a rule's group. */
export function changedGroups(changes: readonly Change[]): Set<string> {
  const ids = new Set<string>();
  for (const c of changes) {
    if (c.resource === 'security_group') ids.add(c.resource_id);
    else if (c.resource === 'security_group_rule' && c.parent_id !== null) ids.add(c.parent_id);
  }
  return ids;
}

/** The changes after `seq` and what they changed; undefined when there are none. */
export async function readChanges(tx: Repositories, seq: number): Promise<ChangeRead | undefined> {
  const changes = await tx.changes.since(seq);
  if (!changes.length) return undefined;
  const ports = new Set(changes.filter((c) => c.resource === 'port').map((c) => c.resource_id));
  const groups = changedGroups(changes);
  // an address group's addresses are its rules' remotes: the groups of those rules change with it
  const addressGroups = [...new Set(changes.filter((c) => c.resource === 'address_group').map((c) => c.resource_id))];
  if (addressGroups.length) for (const r of await tx.rules.list({ where: { remote_address_group_id: addressGroups } })) groups.add(r.security_group_id);
  return {
    last: changes[changes.length - 1].seq,
    ports,
    found: new Map((await tx.ports.getMany([...ports])).map((p) => [p.id, p])),
    groups: groups.size ? await withRemoteGroups(tx, groups) : [],
  };
}

/**
 * The groups named, with the groups their rules name as remotes, transitively: a
 * group's rules are parsed against the groups they name (a new rule may name a
 * group the node has not read yet, and groups may name each other in a cycle).
 * Those already compiled as read produce no event.
 */
async function withRemoteGroups(tx: Repositories, named: Set<string>): Promise<Record<string, unknown>[]> {
  const ids = new Set(named);
  for (;;) {
    const groups = await groupInputs(tx, [...ids]);
    const before = ids.size;
    for (const g of groups) for (const r of g.security_group_rules as { remote_group_id: string | null }[]) if (r.remote_group_id) ids.add(r.remote_group_id);
    if (ids.size === before) return groups;
  }
}
