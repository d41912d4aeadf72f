/**
 * `portsec console`: the web console over a dump or a live cloud, read once and
 * served read-only on this machine's loopback, logged in through the URL it prints.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { buildConsoleServer, consoleUrl } from '../api/console-server.js';
import { InputError } from '../analysis/sources/errors.js';
import { addExpansionOption, type ExpansionFlag, expansionOverrides } from './expansion-option.js';
import { addInputOptions, type InputOptions, readSnapshot } from './input-options.js';
import { parseListen } from './serve.js';

const LOOPBACK = ['127.0.0.1', '::1', 'localhost'];

/** A loopback address only: the console answers whoever holds its URL, and the snapshot may be a whole cloud's. */
function parseLoopback(text: string): { host: string; port: number } {
  const at = parseListen(text);
  if (!LOOPBACK.includes(at.host)) throw new InvalidArgumentError(`the console listens on this machine only (${LOOPBACK.join(', ')}), not ${at.host}`);
  return at;
}

interface ConsoleOptions extends InputOptions, ExpansionFlag {
  from?: string;
  listen: { host: string; port: number };
}

export function consoleCommand(program: Command): void {
  const cmd = program.command('console')
    .description('open the web console on a dump (--from DIR|FILE) or a live cloud (--os-cloud NAME, …), read-only: '
      + 'the cloud is read once, nothing is written to it; the URL printed logs you in')
    .option('--from <path>', 'a dump: a directory of ports.json, security_groups.json, … or one file as `portsec snapshot` writes (as --files PATH)')
    .option('--listen <host:port>', 'loopback address to listen on (default 127.0.0.1 and a free port)', parseLoopback, { host: '127.0.0.1', port: 0 });
  addExpansionOption(addInputOptions(cmd)).action(async (o: ConsoleOptions, command: Command) => {
    if (o.from !== undefined) {
      if (o.files !== undefined) throw new InputError('name one input, not --from and --files');
      command.setOptionValue('files', [o.from]);
    }
    const snapshot = await readSnapshot(command);
    const { app, token } = buildConsoleServer(snapshot, { compile: expansionOverrides(o) });
    const address = await app.listen({ host: o.listen.host, port: o.listen.port });
    process.stdout.write(`portsec console (read-only) of ${snapshot.source}: ${snapshot.security_groups.length} security groups, ${snapshot.ports.length} ports\n`
      + `open ${consoleUrl(address, token, snapshot.source)}\n`);
    const stop = () => void app.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
