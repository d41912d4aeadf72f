/** `portsec lab up|down FILE`: a lab topology built through the API and plugged into compute-node namespaces. */
import { type Command } from 'commander';
import { readFileSync } from 'node:fs';
import { NeutronClient } from '../lab/client.js';
import { labDown, labUp } from '../lab/lab.js';
import { parseLab } from '../lab/spec.js';

interface Options {
  url: string;
  adminPassword?: string;
}

export function labCommand(program: Command): void {
  const lab = program.command('lab').description('build or remove a lab topology (a YAML file) on a running `portsec serve` with its agents (root)');
  const withOptions = (c: Command) => c
    .option('--url <url>', 'the portsec (Neutron) endpoint', 'http://127.0.0.1:9696')
    .option('--admin-password <pw>', 'log in as admin through Keystone (default: trusted headers, for --auth trusted-headers)');
  const load = (file: string) => parseLab(readFileSync(file, 'utf8'), file);
  const log = (m: string) => process.stdout.write(`${m}\n`);
  withOptions(lab.command('up <file>').description('create the networks, groups, rules and ports, and plug in the instances'))
    .action(async (file: string, o: Options) => labUp(load(file), await NeutronClient.connect(o.url, o.adminPassword), log));
  withOptions(lab.command('down <file>').description('remove the instances, ports, groups, networks and compute nodes of the file'))
    .action(async (file: string, o: Options) => labDown(load(file), await NeutronClient.connect(o.url, o.adminPassword), log));
}
