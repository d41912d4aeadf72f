/**
 * GET /v2.0/agents: the agents running beside this server (portsec serve --agents on|model), as
 * Neutron lists the linuxbridge agents they stand for — each one's report_state (ml2 agent
 * _common_agent.py: binary, host, topic, configurations, agent_type; linuxbridge_neutron_agent.py
 * get_agent_configurations). Only admins see agents: Neutron's get_agent policy is admin-only and a
 * listing drops what policy hides, so anyone else is answered an empty list, as Neutron does.
 * With the ports' bindings this is what an import reads to tell each host's firewall.
 */
import { type FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';

/** A stable id per host: the agent row Neutron would keep for it. */
function agentId(host: string): string {
  const h = createHash('sha1').update(`neutron-linuxbridge-agent ${host}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function registerAgents(app: FastifyInstance, hosts: () => readonly string[]): void {
  app.get('/v2.0/agents', async (req) => ({
    agents: req.ctx.isAdmin
      ? hosts().map((host) => ({
        id: agentId(host), agent_type: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent', topic: 'N/A', host,
        admin_state_up: true, alive: true, configurations: { bridge_mappings: {}, interface_mappings: {} },
      }))
      : [],
  }));
}
