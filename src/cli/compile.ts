/** `portsec compile`: one compute node's iptables and ipset state (or OVN's Northbound rows), from the database or a topology file. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { type OutputFormat } from '../backends/contract.js';
import { type Backend, backendFor, BACKENDS, createBackend, DEFAULT_BACKEND } from '../backends/index.js';
import { type Event, parseEvent } from '../policy/events.js';
import { BACKEND_SEMANTICS, isNeutronBackend } from '../policy/neutron-backends.js';
import { type CompileOptions, parseTopology, TopologyError } from '../policy/topology.js';
import { openStore } from '../store/open.js';
import { topologyForHost } from '../store/topology.js';
import { addExpansionOption, expansionOverrides } from './expansion-option.js';

/** the iptables backend's formats and agent states (the defaults first) are the command's defaults; another backend's are its own */
const { formats, agentStates } = BACKENDS[DEFAULT_BACKEND];
const allFormats = Object.entries(BACKENDS).flatMap(([name, b]) => Object.entries(b.formats).map(([f, { help }]) => [f, `${help} (${name})`]));
const allAgentStates = [...new Set(Object.values(BACKENDS).flatMap((b) => b.agentStates))];
/** --driver: the iptables drivers, and the backends that are no iptables driver (ovn) */
const DRIVERS = ['linuxbridge', 'ovs_hybrid', ...Object.keys(BACKENDS).filter((b) => isNeutronBackend(b) && !BACKEND_SEMANTICS[b].iptablesDriver)];

interface Options {
  host?: string;
  topology?: string;
  db: string;
  driver?: string;
  ipset?: 'on' | 'off';
  ipv6?: 'on' | 'off';
  format?: string;
  agentState?: string;
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
    .description('print the ipset and iptables state Neutron\'s iptables firewall driver would install on one compute node, or (--driver ovn) the OVN Northbound rows Neutron\'s OVN driver writes')
    .option('--host <host>', 'the compute node: ports whose binding:host_id is HOST (read from --db)')
    .option('--topology <file>', 'a JSON topology in the golden fixtures\' input shape (options, security_groups, ports, events; see test/golden/README.md)')
    .option('--db <file>', 'SQLite database of `portsec serve`', 'portsec.db')
    .addOption(new Option('--driver <driver>', 'linuxbridge (neutron-linuxbri-, tap devices), ovs_hybrid (neutron-openvswi-, qvb devices), or ovn (the Northbound rows of every port)').choices(DRIVERS))
    .addOption(new Option('--ipset <on|off>', 'remote groups as ipsets, or expanded to one rule per member').choices(['on', 'off']))
    .addOption(new Option('--ipv6 <on|off>', 'off: the node has no IPv6, so no ip6tables (as Neutron\'s agent on such a host)').choices(['on', 'off']))
    .addOption(new Option('--format <format>', `${allFormats.map(([name, help]) => `${name}: ${help}`).join('; ')} (default: the backend's first, ${Object.keys(formats)[0]} for iptables)`)
      .choices(allFormats.map(([name]) => name)))
    .addOption(new Option('--agent-state <state>', 'how the topology file\'s events are followed, one agent loop each: as the real agent keeps its state '
      + `between loops (${agentStates[0]}: members cached since their last fetch, RPC chunks of 20 ports, ports as last fetched), or ideal, a fresh sync after each`
      + ` (default: the backend's first, ${agentStates[0]} for iptables)`).choices(allAgentStates))
    .action(async (o: Options) => {
      if (!o.host === !o.topology) throw new InvalidArgumentError('give exactly one of --host HOST or --topology FILE');
      const input = await readInput(o);
      const overrides: Partial<CompileOptions> = expansionOverrides(o);
      if (o.driver && isNeutronBackend(o.driver)) overrides.backend = o.driver;
      else if (o.driver) overrides.driver = o.driver as CompileOptions['driver'];
      if (o.ipset) overrides.enableIpset = o.ipset === 'on';
      if (o.ipv6) overrides.useIpv6 = o.ipv6 === 'on';
      try {
        const { events = [], ...initial } = input;
        const t = parseTopology(initial, overrides);
        const name = backendFor(t);
        const { formats: own, agentStates: states } = BACKENDS[name];
        const format = o.format ?? Object.keys(own)[0];
        if (!own[format]) throw new TopologyError(`--format ${format}: the ${name} backend prints ${Object.keys(own).join(', ')}`);
        const agentState = o.agentState ?? states[0];
        if (!states.includes(agentState as never)) throw new TopologyError(`--agent-state ${agentState}: the ${name} backend follows events as ${states.join(', ')}`);
        const node = createBackend(name, t, agentState);
        for (const raw of events as Event[]) node.apply(parseEvent(node.engine.topology, raw));
        (own[format] as OutputFormat<Backend>).write(node, (text) => process.stdout.write(text));
      } catch (e) {
        if (e instanceof TopologyError) {
          process.stderr.write(`portsec: ${e.message}\n`);
          process.exit(2);
        }
        throw e;
      }
    });
}
