/** `portsec compile`: one compute node's iptables and ipset state, from the database or a topology file. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { BACKENDS, createBackend, DEFAULT_BACKEND } from '../backends/index.js';
import { type Event, parseEvent } from '../policy/events.js';
import { type CompileOptions, parseTopology, TopologyError } from '../policy/topology.js';
import { openStore } from '../store/open.js';
import { topologyForHost } from '../store/topology.js';
import { addExpansionOption, expansionOverrides } from './expansion-option.js';

/** the backend `compile` renders with, and the formats it prints (the default first) */
const BACKEND = DEFAULT_BACKEND;
const { formats, agentStates } = BACKENDS[BACKEND];

interface Options {
  host?: string;
  topology?: string;
  db: string;
  driver?: CompileOptions['driver'];
  ipset?: 'on' | 'off';
  ipv6?: 'on' | 'off';
  format: string;
  agentState: string;
  omitWidePairs?: CompileOptions['omitWidePairs'];
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
    .addOption(new Option('--ipv6 <on|off>', 'off: the node has no IPv6, so no ip6tables (as Neutron\'s agent on such a host)').choices(['on', 'off']))
    .addOption(new Option('--format <format>', Object.entries(formats).map(([name, f]) => `${name}: ${f.help}`).join('; '))
      .choices(Object.keys(formats)).default(Object.keys(formats)[0]))
    .addOption(new Option('--agent-state <state>', 'how the topology file\'s events are followed, one agent loop each: as the real agent keeps its state '
      + `between loops (${agentStates[0]}: members cached since their last fetch, RPC chunks of 20 ports, ports as last fetched), or ideal, a fresh sync after each`)
      .choices([...agentStates]).default(agentStates[0]))
    .action(async (o: Options) => {
      if (!o.host === !o.topology) throw new InvalidArgumentError('give exactly one of --host HOST or --topology FILE');
      const input = await readInput(o);
      const overrides: Partial<CompileOptions> = expansionOverrides(o);
      if (o.driver) overrides.driver = o.driver;
      if (o.ipset) overrides.enableIpset = o.ipset === 'on';
      if (o.ipv6) overrides.useIpv6 = o.ipv6 === 'on';
      try {
        const { events = [], ...initial } = input;
        const node = createBackend(BACKEND, parseTopology(initial, overrides), o.agentState);
        for (const raw of events as Event[]) node.apply(parseEvent(node.engine.topology, raw));
        formats[o.format].write(node, (text) => process.stdout.write(text));
      } catch (e) {
        if (e instanceof TopologyError) {
          process.stderr.write(`portsec: ${e.message}\n`);
          process.exit(2);
        }
        throw e;
      }
    });
}
