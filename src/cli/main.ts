#!/usr/bin/env node
/** The portsec command line. */
import { Command, InvalidArgumentError } from 'commander';
import { agentCommand } from './agent.js';
import { analyzeCommands } from './analyze.js';
import { compileCommand } from './compile.js';
import { demoCommand } from './demo.js';
import { labCommand } from './lab.js';
import { serveCommand } from './serve.js';
import { snapshotCommand } from './snapshot.js';
import { InputError } from '../analysis/sources/errors.js';

const program = new Command()
  .name('portsec')
  .description('OpenStack Neutron port security (ports, allowed address pairs, security groups):\n'
    + 'a Neutron v2.0 + Keystone v3 server on embedded SQLite, the iptables/ipset compiler,\n'
    + 'and the agent that enforces it in network-namespace compute nodes.')
  .showHelpAfterError();

serveCommand(program);
compileCommand(program);
agentCommand(program);
labCommand(program);
demoCommand(program);
snapshotCommand(program);
analyzeCommands(program);

program.parseAsync().catch((e: unknown) => {
  const message = e instanceof InvalidArgumentError || e instanceof Error ? e.message : String(e);
  process.stderr.write(`portsec: ${message}\n`);
  process.exit(e instanceof InputError ? 2 : 1);
});
