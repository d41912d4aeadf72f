/** `portsec agent`: enforce one compute node's policy, following the database's change log. */
import { type Command, Option } from 'commander';
import { BACKENDS, DEFAULT_BACKEND } from '../backends/index.js';
import { Agent } from '../dataplane/agent.js';
import { type IptablesBackend } from '../dataplane/iptables/tools.js';
import { dataPlane } from '../dataplane/planes.js';
import { type CompileOptions } from '../policy/topology.js';
import { openStore } from '../store/open.js';
import { addExpansionOption, expansionOverrides } from './expansion-option.js';
import { repeat } from './repeat.js';

export function agentCommand(program: Command): void {
  addExpansionOption(program.command('agent'))
    .description('build compute node HOST as network namespace ps-cn-HOST, converge its iptables and ipsets to the policy of the ports bound to it, and follow every change (root)')
    .requiredOption('--host <host>', 'the compute node (ports whose binding:host_id is HOST)')
    .option('--db <file>', 'SQLite database of `portsec serve`', 'portsec.db')
    .addOption(new Option('--backend <backend>', 'iptables backend inside the node').choices(['nft', 'legacy']).default('nft'))
    .option('--interval <ms>', 'how often to look for changes', (v) => Number(v), 200)
    .action(async (o: { host: string; db: string; backend: IptablesBackend; interval: number; omitWidePairs?: CompileOptions['omitWidePairs'] }) => {
      const store = openStore(o.db);
      const agent = new Agent(store, o.host, dataPlane(DEFAULT_BACKEND, { nodes: o.backend }), expansionOverrides(o));
      await agent.start();
      process.stdout.write(`portsec agent: ${agent.ns} converged; following ${o.db}\n`);
      const stopTicks = repeat(o.interval, async () => {
        await agent.plumb();
        for (const d of await agent.sync()) process.stdout.write(`applied: ${BACKENDS[agent.plane.name].summary(d)}\n`);
      });
      const stop = () => void stopTicks().then(() => store.close()).then(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
