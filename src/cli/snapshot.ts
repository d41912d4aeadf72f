/** `portsec snapshot`: what the analyzer reads, as one JSON file (which `--files` reads back). */
import { type Command } from 'commander';
import { type SnapshotBackends } from '../analysis/snapshot.js';
import { addInputOptions, readSnapshot } from './input-options.js';
import { emit } from './output.js';

/** "iptables_hybrid 4, unknown 2": what the import found of the ports' firewalls. */
function backendCounts(b: SnapshotBackends): string {
  const counts = new Map<string, number>();
  for (const { backend } of Object.values(b.ports)) counts.set(backend, (counts.get(backend) ?? 0) + 1);
  return [...counts].sort(([x], [y]) => x.localeCompare(y)).map(([name, n]) => `${name} ${n}`).join(', ') || 'no ports';
}

export function snapshotCommand(program: Command): void {
  const cmd = program.command('snapshot')
    .description('write the networks, subnets, ports, security groups and rules the analyzer reads, from the database, '
      + 'a live cloud or JSON dumps, as one JSON file (read it back with --files)')
    .option('-o, --output <file>', 'write to FILE instead of standard output');
  addInputOptions(cmd).action(async (o: { output?: string }, command: Command) => {
    const snapshot = await readSnapshot(command);
    emit(o, JSON.stringify(snapshot, null, 1));
    if (!o.output) return;
    const counts = [
      [snapshot.networks.length, 'networks'], [snapshot.subnets.length, 'subnets'], [snapshot.ports.length, 'ports'],
      [snapshot.security_groups.length, 'security groups'], [snapshot.security_group_rules.length, 'rules'],
    ].map(([n, what]) => `${n} ${what}`).join(', ');
    process.stderr.write(`portsec: wrote ${o.output}: ${counts} (${snapshot.source})\n`);
    if (snapshot.backends) process.stderr.write(`portsec: ports by backend: ${backendCounts(snapshot.backends)} (${snapshot.backends.agents})\n`);
  });
}
