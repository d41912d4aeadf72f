/**
 * The agents' view of a cloud: each port as its compute node's agent enforces it
 * (the IR the agent's backend holds, `--agent-state neutron-21` keeping what Neutron's
 * agent keeps) instead of as the API says. can-reach walks it like the API's view;
 * ports no agent holds (unbound, network-owned ports on no node) stay as the API says.
 */
import { type Family, type Member, type PortPolicy } from '../policy/ir.js';
import { type ReachQuery } from './answers.js';
import { type Cloud } from './cloud.js';
import { InputError } from './sources/errors.js';

export const VIEWS = ['api', 'agents'] as const satisfies readonly NonNullable<ReachQuery['view']>[];

export function agentsCloud(cloud: Cloud): Cloud {
  if (!cloud.agents?.length) throw new InputError('view=agents: no agent runs beside this analyzer yet (portsec serve --agents on|model, read as admin, with ports bound to hosts)');
  const held = new Map<string, { pp: PortPolicy; members: (g: string, f: Family) => Member[] }>();
  for (const { policy } of cloud.agents) {
    const members = (g: string, f: Family) => policy.remoteGroups.get(g)?.[f] ?? [];
    for (const pp of policy.ports) held.set(pp.port.id, { pp, members });
  }
  return {
    ...cloud,
    policy: (id) => held.get(id)?.pp ?? cloud.policy(id),
    kind: (id) => held.get(id)?.pp.kind ?? cloud.kind(id),
    membersAt: (id) => held.get(id)?.members ?? cloud.membersAt(id),
  };
}
