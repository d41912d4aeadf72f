/** TCP probes inside instance namespaces; servers are stopped by their PID. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';

const PROBE = join(import.meta.dirname, 'probe.mjs');
const servers = new Set<ChildProcess>();

export async function serve(ns: string, port: number): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, PROBE, 'serve', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  servers.add(child);
  await new Promise<void>((ok, fail) => {
    child.stdout!.once('data', () => ok());
    child.once('exit', (c) => fail(new Error(`probe server in ${ns} exited with ${c}`)));
  });
  return child;
}

export function connect(ns: string, host: string, port: number, source?: string, ms = 1500): string {
  return execFileSync('ip', ['netns', 'exec', ns, process.execPath, PROBE, 'connect', host, String(port), source ?? '', String(ms)], { encoding: 'utf8' }).trim();
}

export async function stopServers(): Promise<void> {
  for (const child of servers) {
    if (child.exitCode === null && child.pid) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(child.pid, 'SIGTERM');
      await exited;
    }
    servers.delete(child);
  }
}
