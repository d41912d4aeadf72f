/**
 * A fix's actions applied to a snapshot in memory, as Neutron's server would apply the API
 * calls: a new group comes with the two allow-all egress rules Neutron gives every group,
 * created objects get ids of their own (deterministic, so two proofs of one fix agree), a
 * port's group and pair lists are replaced whole, and what Neutron refuses (a group still in
 * use, a duplicate rule, a stateless group beside a stateful one) is refused here too, as an
 * error — a proof never passes on a step the real cloud would not take.
 */
import { type Snapshot, type SnapshotGroup, type SnapshotPort, type SnapshotRule } from '../snapshot.js';
import { type FixAction, type FixRef, type FixRule } from './types.js';

/** A step Neutron's API would refuse, with the status it answers. */
export class FixRefused extends Error {
  constructor(readonly status: 400 | 404 | 409, message: string) {
    super(message);
  }
}

/** The id a created object gets: the fix's local name, marked so it never meets a real id. */
export const createdId = (as: string) => `fix-created-${as}`;

/** Neutron's stock egress rules of a new group (securitygroups_db.create_security_group). */
const STOCK_EGRESS = ['IPv4', 'IPv6'] as const;

/** The same rule to Neutron (SecurityGroupRuleExists): every field but id and description. */
const ruleKey = (r: Omit<SnapshotRule, 'id'>) =>
  JSON.stringify([r.security_group_id, r.direction, r.ethertype, r.protocol, r.port_range_min, r.port_range_max, r.remote_ip_prefix, r.remote_group_id, r.remote_address_group_id ?? null]);

/** The actions as the script runs them: creates and changes in order, deletes last (fix/script.ts). */
const isDelete = (a: FixAction) => a.op === 'delete-rule' || a.op === 'delete-group';
export const runOrder = (actions: readonly FixAction[]) => [...actions.filter((a) => !isDelete(a)), ...actions.filter(isDelete)];

export function applyFix(s: Snapshot, actions: readonly FixAction[]): Snapshot {
  const groups = new Map(s.security_groups.map((g) => [g.id, { ...g }]));
  const rules = new Map(s.security_group_rules.map((r) => [r.id, r]));
  const ports = new Map(s.ports.map((p) => [p.id, p]));
  const keys = new Set([...rules.values()].map(ruleKey));
  let rulesMade = 0;

  const resolve = (r: FixRef): SnapshotGroup => {
    const id = 'id' in r ? r.id : createdId(r.created);
    return groups.get(id) ?? refuse(404, `security group ${'id' in r ? r.id : `created as ${r.created}`} not found`);
  };
  const port = (id: string): SnapshotPort => ports.get(id) ?? refuse(404, `port ${id} not found`);
  const addRule = (group: SnapshotGroup, r: FixRule | Omit<FixRule, 'remote_group'> & { remote_group: null }) => {
    const remote = r.remote_group ? resolve(r.remote_group).id : null;
    const made: SnapshotRule = {
      id: `${group.id}-rule-${++rulesMade}`, security_group_id: group.id, project_id: group.project_id, direction: r.direction, ethertype: r.ethertype,
      protocol: r.protocol, port_range_min: r.port_range_min, port_range_max: r.port_range_max, remote_ip_prefix: r.remote_ip_prefix, remote_group_id: remote,
      ...(r.description !== undefined && { description: r.description }),
    };
    const key = ruleKey(made);
    if (keys.has(key)) refuse(409, `security group rule already exists in group ${group.id}: ${key}`);
    keys.add(key);
    rules.set(made.id, made);
  };
  const deleteRule = (id: string) => {
    const r = rules.get(id) ?? refuse(404, `security group rule ${id} not found`);
    rules.delete(id);
    keys.delete(ruleKey(r));
  };
  const inUse = (groupId: string) => [...ports.values()].some((p) => p.security_groups.includes(groupId));

  for (const a of runOrder(actions)) {
    switch (a.op) {
      case 'create-group': {
        const id = createdId(a.as);
        if (groups.has(id)) refuse(409, `the fix creates ${a.as} twice`);
        const g: SnapshotGroup = { id, name: a.name, project_id: a.project, description: a.description, stateful: true };
        groups.set(id, g);
        if (a.stockEgress === 'keep') {
          for (const ethertype of STOCK_EGRESS) addRule(g, { direction: 'egress', ethertype, protocol: null, port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_group: null });
        }
        break;
      }
      case 'create-rule': addRule(resolve(a.group), a.rule); break;
      case 'delete-rule': deleteRule(a.rule); break;
      case 'delete-group': {
        if (!groups.has(a.group)) refuse(404, `security group ${a.group} not found`);
        if (inUse(a.group)) refuse(409, `security group ${a.group} is in use`);
        groups.delete(a.group);
        // the rules of the group and those naming it go with it (ondelete CASCADE)
        for (const r of [...rules.values()]) if (r.security_group_id === a.group || r.remote_group_id === a.group) deleteRule(r.id);
        break;
      }
      case 'set-port-groups': {
        const p = port(a.port);
        const list = a.groups.map(resolve);
        if (list.length && p.port_security_enabled === false) refuse(409, `port ${p.id}: security groups need port security enabled`);
        if (new Set(list.map((g) => g.stateful !== false)).size > 1) refuse(409, `port ${p.id}: cannot apply both stateful and stateless security groups`);
        ports.set(p.id, { ...p, security_groups: list.map((g) => g.id) });
        break;
      }
      case 'set-port-pairs': {
        const p = port(a.port);
        if (a.pairs.length && p.port_security_enabled === false) refuse(409, `port ${p.id}: allowed-address pairs need port security enabled`);
        ports.set(p.id, { ...p, allowed_address_pairs: a.pairs.map((x) => ({ ...x })) });
        break;
      }
      case 'set-port-security': {
        const p = port(a.port);
        if (!a.enabled && (p.security_groups.length || p.allowed_address_pairs.length)) refuse(409, `port ${p.id}: remove its security groups and allowed-address pairs before disabling port security`);
        ports.set(p.id, { ...p, port_security_enabled: a.enabled });
        break;
      }
      case 'set-group-stateful': {
        const g = groups.get(a.group) ?? refuse(404, `security group ${a.group} not found`);
        if ((g.stateful !== false) !== a.stateful && inUse(a.group)) refuse(409, `security group ${a.group} is in use: its stateful attribute cannot change`);
        groups.set(g.id, { ...g, stateful: a.stateful });
        break;
      }
      case 'refresh-members': {
        // a port created and deleted again: the agents refetch the members, the end state is the same
        resolve({ id: a.group });
        if (!s.networks.some((n) => n.id === a.network)) refuse(404, `network ${a.network} not found`);
        break;
      }
    }
  }
  return { ...s, security_groups: [...groups.values()], security_group_rules: [...rules.values()], ports: [...ports.values()] };
}

function refuse(status: 400 | 404 | 409, message: string): never {
  throw new FixRefused(status, message);
}
