#!/usr/bin/env -S node --max-semi-space-size=64
// A 64 MB young generation: a 3,000-port compile allocates about 70 MB, mostly short-lived text, and
// with V8's default 16 MB every scavenge copies the node's live policy (about 14 MB) again.
/**
 * The portsec command line. Exit status: 0 answered; 1 `audit --fail-on` found
 * a finding that severe; 2 no answer (a usage error, unreadable input, an
 * unwritable output, any other error), each said in one line on stderr.
 */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { agentCommand } from './agent.js';
import { analyzeCommands } from './analyze.js';
import { compileCommand } from './compile.js';
import { consoleCommand } from './console.js';
import { demoCommand } from './demo.js';
import { fixCommand } from './fix.js';
import { OutputError, systemMessage } from './errors.js';
import { labCommand } from './lab.js';
import { serveCommand } from './serve.js';
import { snapshotCommand } from './snapshot.js';

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };
const USAGE = 2;

/** "error: unknown option '--x'\n(Did you mean --y?)" as one line: "portsec: unknown option '--x' (Did you mean --y?)". */
const oneLine = (message: string) => `portsec: ${message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim()}\n`;

const program = new Command()
  .name('portsec')
  .description('OpenStack Neutron port security (ports, allowed address pairs, security groups):\n'
    + 'a Neutron v2.0 + Keystone v3 server on embedded SQLite, the iptables/ipset compiler,\n'
    + 'and the agent that enforces it in network-namespace compute nodes.')
  // set before the commands are added: each inherits them
  .configureOutput({ outputError: (message, write) => write(oneLine(message)) })
  .exitOverride((e: CommanderError) => process.exit(e.exitCode === 0 ? 0 : USAGE));

serveCommand(program);
compileCommand(program);
agentCommand(program);
labCommand(program);
demoCommand(program);
snapshotCommand(program);
analyzeCommands(program);
consoleCommand(program);
fixCommand(program);

// openstack prints its version from any command line that asks (`openstack server list --version` too)
for (const cmd of [program, ...program.commands]) cmd.version(`portsec ${version}`, '--version', 'show the program\'s version and exit');

// a reader that stops early (`| head`) ends the run quietly, as a broken pipe ends openstack's (status 141: SIGPIPE)
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(141);
  process.stderr.write(oneLine(new OutputError('standard output', e).message));
  process.exit(USAGE);
});

program.parseAsync().catch((e: unknown) => {
  process.stderr.write(oneLine(e instanceof Error ? e.message : systemMessage(e)));
  process.exit(USAGE);
});
