#!/usr/bin/env -S node --max-semi-space-size=64
// A 64 MB young generation: a 3,000-port compile allocates about 70 MB, mostly short-lived text, and
// with V8's default 16 MB every scavenge copies the node's live policy (about 14 MB) again.
/** The portsec command line. */
import { Command, InvalidArgumentError } from 'commander';
import { agentCommand } from './agent.js';
import { analyzeCommands } from './analyze.js';
import { compileCommand } from './compile.js';
import { consoleCommand } from './console.js';
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
consoleCommand(program);

program.parseAsync().catch((e: unknown) => {
  const message = e instanceof InvalidArgumentError || e instanceof Error ? e.message : String(e);
  process.stderr.write(`portsec: ${message}\n`);
  process.exit(e instanceof InputError ? 2 : 1);
});
