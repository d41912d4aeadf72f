/**
 * `portsec compile`: one compute node's firewall state as a Neutron driver renders it — iptables and ipsets
 * (linuxbridge, ovs_hybrid), br-int's OpenFlow flows (openvswitch) or OVN's Northbound rows (ovn) — from the
 * database or a topology file.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { type BackendEntry, type FirewallBackend } from '../backends/contract.js';
import { BACKENDS, rendererOf } from '../backends/index.js';
import { type Event, parseEvent } from '../policy/events.js';
import { DRIVER_BACKENDS, driverBackend } from '../policy/neutron-backends.js';
import { type CompileOptions, parseTopology, TopologyError } from '../policy/topology.js';
import { openStore } from '../store/open.js';
import { topologyForHost } from '../store/topology.js';
import { addExpansionOption, expansionOverrides } from './expansion-option.js';

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

const entries = Object.entries(BACKENDS) as [string, BackendEntry<FirewallBackend<unknown, unknown>>][];
const unique = (xs: string[]) => [...new Set(xs)];
const perBackend = (f: (e: BackendEntry<FirewallBackend<unknown, unknown>>) => string) => entries.map(([name, e]) => `${name}: ${f(e)}`).join('; ');

/** The option's value if the backend has it, else its default (the first); a TopologyError (exit 2) naming what it has. */
function pick(what: string, value: string | undefined, have: readonly string[], backend: string): string {
  if (value === undefined) return have[0];
  if (!have.includes(value)) throw new TopologyError(`${what} ${value}: the ${backend} backend has ${have.join(', ')}`);
  return value;
}

export function compileCommand(program: Command): void {
  addExpansionOption(program.command('compile'))
    .description('print the state Neutron\'s firewall driver would install on one compute node: the ipset and iptables state '
      + '(linuxbridge, ovs_hybrid), the OpenFlow flows on br-int (openvswitch), or the Northbound rows of every port (ovn)')
    .option('--host <host>', 'the compute node: ports whose binding:host_id is HOST (read from --db)')
    .option('--topology <file>', 'a JSON topology in the golden fixtures\' input shape (options, security_groups, ports, events; see test/golden/README.md)')
    .option('--db <file>', 'SQLite database of `portsec serve`', 'portsec.db')
    .addOption(new Option('--driver <driver>', 'linuxbridge (neutron-linuxbri-, tap devices), ovs_hybrid (neutron-openvswi-, qvb devices) '
      + 'openvswitch (the OVS firewall\'s flows, ofports and local VLANs numbered in port order as the golden harness\'s OVSDB) '
      + 'or ovn (the ML2/OVN driver\'s Northbound rows, every port wherever bound)')
      .choices(['linuxbridge', 'ovs_hybrid', ...Object.keys(DRIVER_BACKENDS)]))
    .addOption(new Option('--ipset <on|off>', 'remote groups as ipsets, or expanded to one rule per member (iptables only)').choices(['on', 'off']))
    .addOption(new Option('--ipv6 <on|off>', 'off: the node has no IPv6, so no ip6tables (as Neutron\'s agent on such a host; iptables only)').choices(['on', 'off']))
    .addOption(new Option('--format <format>', `per backend, the default first: ${perBackend((e) => Object.entries(e.formats).map(([n, f]) => `${n} (${f.help})`).join(', '))}`)
      .choices(unique(entries.flatMap(([, e]) => Object.keys(e.formats)))))
    .addOption(new Option('--agent-state <state>', 'how the topology file\'s events are followed, one agent loop each: as the real agent keeps its state '
      + 'between loops (neutron-21: members cached since their last fetch, RPC chunks of 20 ports, ports as last fetched), or ideal, a fresh sync after each; '
      + `per backend, the default first: ${perBackend((e) => e.agentStates.join(', '))}`)
      .choices(unique(entries.flatMap(([, e]) => [...e.agentStates]))))
    .action(async (o: Options) => {
      if (!o.host === !o.topology) throw new InvalidArgumentError('give exactly one of --host HOST or --topology FILE');
      const input = await readInput(o);
      const overrides: Partial<CompileOptions> = expansionOverrides(o);
      const ownBackend = driverBackend(o.driver);
      if (ownBackend) overrides.backend = ownBackend;
      else if (o.driver) overrides.driver = o.driver as CompileOptions['driver'];
      if (o.ipset) overrides.enableIpset = o.ipset === 'on';
      if (o.ipv6) overrides.useIpv6 = o.ipv6 === 'on';
      try {
        const { events = [], ...initial } = input;
        const topology = parseTopology(initial, overrides);
        const name = rendererOf(topology.options.backend);
        if (!name) throw new TopologyError(`options: backend ${topology.options.backend} has no renderer`);
        // one backend's entry: its formats take the nodes it creates
        const entry = BACKENDS[name] as BackendEntry<FirewallBackend<unknown, unknown>>;
        const format = pick('--format', o.format, Object.keys(entry.formats), name);
        const node = entry.create(topology, pick('--agent-state', o.agentState, entry.agentStates, name));
        for (const raw of events as Event[]) node.apply(parseEvent(node.engine.topology, raw));
        entry.formats[format].write(node, (text) => process.stdout.write(text));
      } catch (e) {
        if (e instanceof TopologyError) {
          process.stderr.write(`portsec: ${e.message}\n`);
          process.exit(2);
        }
        throw e;
      }
    });
}
