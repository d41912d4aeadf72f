/** `portsec compile`: one compute node's iptables and ipset state, from the database or a topology file. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { createBackend } from '../backends/index.js';
import { AGENT_STATES, type AgentState } from '../backends/iptables/agent-state.js';
import { goldenJson, writeRestorePayloads } from '../backends/iptables/golden-json.js';
import { ChunkWriter } from '../backends/iptables/state.js';
import { type Event, parseEvent } from '../policy/events.js';
import { type HostPolicy } from '../policy/ir.js';
import { type CompileOptions, parseTopology, TopologyError } from '../policy/topology.js';
import { openStore } from '../store/open.js';
import { topologyForHost } from '../store/topology.js';
import { addExpansionOption, expansionOverrides } from './expansion-option.js';

interface Options {
  host?: string;
  topology?: string;
  db: string;
  driver?: CompileOptions['driver'];
  ipset?: 'on' | 'off';
  format: 'iptables' | 'golden-json' | 'ir';
  agentState: AgentState;
  omitWidePairs?: CompileOptions['omitWidePairs'];
}

/** The IR as plain JSON: ports with their allow-lists and rules, remote groups with their members. */
function irJson(policy: HostPolicy): Record<string, unknown> {
  return {
    options: policy.options,
    ports: policy.ports.map(({ port, kind, tracking, zone, spoof, rules }) => ({ id: port.id, device: port.device, kind, tracking, zone, spoof, rules })),
    remote_groups: Object.fromEntries(policy.remoteGroups),
  };
}

async function readInput(o: Options): Promise<Record<string, any>> {
  if (o.topology) {
    try {
      return JSON.parse(readFileSync(o.topology, 'utf8'));
    } catch (e) {
      throw new InvalidArgumentError(`${o.topology}: ${(e as Error).message}`);
    }
  }
  const store = openStore(o.db);
  try {
    return await store.snapshot((tx) => topologyForHost(tx, o.host!));
  } finally {
    await store.close();
  }
}

export function compileCommand(program: Command): void {
  addExpansionOption(program.command('compile'))
    .description('print the ipset and iptables state Neutron\'s iptables firewall driver would install on one compute node')
    .option('--host <host>', 'the compute node: ports whose binding:host_id is HOST (read from --db)')
    .option('--topology <file>', 'a JSON topology in the golden fixtures\' input shape (options, security_groups, ports, events; see test/golden/README.md)')
    .option('--db <file>', 'SQLite database of `portsec serve`', 'portsec.db')
    .addOption(new Option('--driver <driver>', 'linuxbridge (neutron-linuxbri-, tap devices) or ovs_hybrid (neutron-openvswi-, qvb devices)').choices(['linuxbridge', 'ovs_hybrid']))
    .addOption(new Option('--ipset <on|off>', 'remote groups as ipsets, or expanded to one rule per member').choices(['on', 'off']))
    .addOption(new Option('--format <format>', 'iptables: ipset and iptables-restore payloads; golden-json: golden.py\'s ipset_restore and iptables_save fields; '
      + 'ir: each local port\'s effective policy (allow-list, rules, remote-group members) as JSON')
      .choices(['iptables', 'golden-json', 'ir']).default('iptables'))
    .addOption(new Option('--agent-state <state>', 'how the topology file\'s events are followed, one agent loop each: neutron-21, what Neutron 21\'s agent keeps '
      + '(members cached since their last fetch, RPC chunks of 20 ports, ports as last fetched); ideal, a fresh sync of the topology after each')
      .choices([...AGENT_STATES]).default('neutron-21'))
    .action(async (o: Options) => {
      if (!o.host === !o.topology) throw new InvalidArgumentError('give exactly one of --host HOST or --topology FILE');
      const input = await readInput(o);
      const overrides: Partial<CompileOptions> = expansionOverrides(o);
      if (o.driver) overrides.driver = o.driver;
      if (o.ipset) overrides.enableIpset = o.ipset === 'on';
      try {
        const { events = [], ...initial } = input;
        const node = createBackend('iptables', parseTopology(initial, overrides), o.agentState);
        for (const raw of events as Event[]) node.apply(parseEvent(node.engine.topology, raw));
        const print = (text: string) => process.stdout.write(text);
        const formats: Record<Options['format'], () => void> = {
          'golden-json': () => print(`${JSON.stringify(goldenJson(node.state), null, 1)}\n`),
          ir: () => print(`${JSON.stringify(irJson(node.policy), null, 1)}\n`),
          // the restore payloads (25 MB for a 3,000-port node) go out in chunks as they are rendered
          iptables: () => writeRestorePayloads(node, new ChunkWriter(print)),
        };
        formats[o.format]();
      } catch (e) {
        if (e instanceof TopologyError) {
          process.stderr.write(`portsec: ${e.message}\n`);
          process.exit(2);
        }
        throw e;
      }
    });
}
