/**
 * A fix run through Neutron's API, in the order its script runs (creates and changes first,
 * deletes last), with `If-Match: revision_number=N` on every write to an object whose revision
 * the fix was derived from: a cloud that changed since the audit refuses the write (412) instead
 * of taking a fix made for another state. The first failure stops the run; the report says what
 * ran, what failed and why, and what did not run.
 */
import { errorText, type Method } from '../sources/http.js';
import { type Neutron, neutronRequest } from '../sources/openstack.js';
import { commands, runOrder } from './script.js';
import { type Fix, type FixAction, type FixRef } from './types.js';

export interface ApiCall {
  method: Method;
  path: string;
  status: number;
}

export interface ExecutedAction {
  action: FixAction;
  /** the action as its script says it */
  command: string;
  calls: ApiCall[];
  /** the group or rule it created, if it did */
  made?: { type: 'security_group' | 'security_group_rule'; id: string };
}

export interface Execution {
  ran: ExecutedAction[];
  /** the action that failed and Neutron's answer, in words */
  failed?: ExecutedAction & { error: string };
  notRun: { action: FixAction; command: string }[];
  /** each object the fix created, by its local name */
  created: Record<string, string>;
}

class Refusal extends Error {}

const ruleBody = (a: Extract<FixAction, { op: 'create-rule' }>, group: string, remoteGroup: string | null) => ({
  security_group_rule: {
    security_group_id: group,
    direction: a.rule.direction,
    ethertype: a.rule.ethertype,
    protocol: a.rule.protocol,
    port_range_min: a.rule.port_range_min,
    port_range_max: a.rule.port_range_max,
    remote_ip_prefix: a.rule.remote_ip_prefix,
    remote_group_id: remoteGroup,
    ...(a.rule.description ? { description: a.rule.description } : {}),
    ...(a.project ? { project_id: a.project } : {}),
  },
});

/** Rules are made in the project their action names (their group's), as the script makes them. */
export async function executeFix(fix: Pick<Fix, 'actions'>, neutron: Neutron): Promise<Execution> {
  const created: Record<string, string> = {};
  const id = (r: FixRef) => {
    if ('id' in r) return r.id;
    const made = created[r.created];
    if (!made) throw new Refusal(`nothing named ${r.created} was created before it is used`);
    return made;
  };

  /**
   * The revision an object has after the fix's own writes to it: a second write names the revision
   * the first one left, not the one the audit read, so only someone else's change is refused.
   */
  const ours = new Map<string, number>();
  const expected = (object: string, read: number | undefined) => (read === undefined ? undefined : ours.get(object) ?? read);
  const wrote = (object: string, revision: unknown) => { if (typeof revision === 'number') ours.set(object, revision); };
  /** a rule created in a group bumps the group's revision by one; known when the fix read the group's revision */
  const readRevision = (group: string) => fix.actions.flatMap((a) => ((a.op === 'delete-group' || a.op === 'set-group-stateful') && a.group === group && a.revision !== undefined ? [a.revision] : []))[0];
  const ruleAdded = (group: string) => {
    const before = ours.get(group) ?? readRevision(group);
    if (before !== undefined) ours.set(group, before + 1);
  };

  /** One request; anything but 2xx stops the fix with Neutron's answer, a 412 with what it means. */
  async function send(calls: ApiCall[], method: Method, path: string, body?: unknown, revision?: number): Promise<any> {
    const answer = await neutronRequest(neutron, method, path, body, revision === undefined ? {} : { 'If-Match': `revision_number=${revision}` });
    calls.push({ method, path, status: answer.status });
    if (answer.status >= 200 && answer.status < 300) return answer.body;
    const cause = answer.status === 412 ? `: the cloud changed since the audit (the fix expected revision ${revision}); re-run the audit and the fix` : '';
    throw new Refusal(`${method} /v2.0/${path} answered ${errorText(answer)}${cause}`);
  }

  async function setPort(calls: ApiCall[], port: string, change: Record<string, unknown>, revision: number | undefined): Promise<undefined> {
    const { port: p } = await send(calls, 'PUT', `ports/${port}`, { port: change }, expected(port, revision));
    wrote(port, p?.revision_number);
    return undefined;
  }

  async function run(a: FixAction, calls: ApiCall[]): Promise<ExecutedAction['made']> {
    switch (a.op) {
      case 'create-group': {
        const { security_group: g } = await send(calls, 'POST', 'security-groups', { security_group: { name: a.name, description: a.description, project_id: a.project } });
        created[a.as] = g.id;
        const made = { type: 'security_group' as const, id: g.id };
        // Neutron's stock allow-all egress rules, deleted before any port holds the group
        if (a.stockEgress === 'delete') {
          // Neutron answers the new group with its rules; a cloud that does not is asked for them
          const rules: { id: string; direction: string }[] = g.security_group_rules
            ?? (await send(calls, 'GET', `security-group-rules?security_group_id=${g.id}&direction=egress&fields=id&fields=direction`)).security_group_rules;
          for (const r of rules) {
            if (r.direction === 'egress') await send(calls, 'DELETE', `security-group-rules/${r.id}`);
          }
        }
        return made;
      }
      case 'create-rule': {
        const { security_group_rule: r } = await send(calls, 'POST', 'security-group-rules', ruleBody(a, id(a.group), a.rule.remote_group && id(a.rule.remote_group)));
        ruleAdded(r.security_group_id);
        return { type: 'security_group_rule', id: r.id };
      }
      case 'delete-rule': return void await send(calls, 'DELETE', `security-group-rules/${a.rule}`, undefined, expected(a.rule, a.revision));
      case 'delete-group': return void await send(calls, 'DELETE', `security-groups/${a.group}`, undefined, expected(a.group, a.revision));
      case 'set-port-groups': return setPort(calls, a.port, { security_groups: a.groups.map(id) }, a.revision);
      case 'set-port-pairs': return setPort(calls, a.port, { allowed_address_pairs: a.pairs }, a.revision);
      case 'set-port-security': return setPort(calls, a.port, { port_security_enabled: a.enabled }, a.revision);
      case 'set-group-stateful': {
        const { security_group: g } = await send(calls, 'PUT', `security-groups/${a.group}`, { security_group: { stateful: a.stateful } }, expected(a.group, a.revision));
        return void wrote(a.group, g?.revision_number);
      }
      case 'refresh-members': {
        const { port } = await send(calls, 'POST', 'ports', { port: { name: a.name, project_id: a.project, network_id: a.network, security_groups: [a.group] } });
        await send(calls, 'DELETE', `ports/${port.id}`);
        return undefined;
      }
    }
  }

  const order = runOrder(fix.actions).map((action) => ({ action, command: commands(action)[0] }));
  const ran: ExecutedAction[] = [];
  for (const [i, step] of order.entries()) {
    const calls: ApiCall[] = [];
    let made: ExecutedAction['made'];
    try {
      made = await run(step.action, calls);
    } catch (e) {
      // a refusal, or a cloud that stopped answering (InputError): either way nothing more is written
      return { ran, failed: { ...step, calls, error: (e as Error).message }, notRun: order.slice(i + 1), created };
    }
    ran.push({ ...step, calls, ...(made && { made }) });
  }
  return { ran, notRun: [], created };
}

/**
 * After a failure, what takes out what the fix created, newest first: a created group goes with
 * its rules, so only rules added to existing groups are deleted one by one. Changes to existing
 * objects that ran are listed, for they cannot be taken back without their earlier values.
 */
export function undoScript(e: Execution): { commands: string[]; changed: string[] } {
  const inCreatedGroup = (a: FixAction) => a.op === 'create-rule' && 'created' in a.group;
  const commands = [...e.ran].reverse().flatMap((s) => {
    if (s.made?.type === 'security_group') return [`openstack security group delete ${s.made.id}`];
    if (s.made?.type === 'security_group_rule' && !inCreatedGroup(s.action)) return [`openstack security group rule delete ${s.made.id}`];
    return [];
  });
  const changed = e.ran.filter((s) => !s.made && s.action.op !== 'refresh-members').map((s) => s.command);
  return { commands, changed };
}
