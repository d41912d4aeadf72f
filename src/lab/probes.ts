/** Probe servers and clients inside instance namespaces (see probe.ts). */
import { spawn } from 'node:child_process';
import { run } from '../dataplane/exec.js';
import { repoPath } from './paths.js';

// the probe runs as compiled JavaScript, also when this module runs from source (tests)
const PROBE = repoPath('dist/src/lab/probe.js');

/** Starts a probe server in the namespace (answers tagged with `tag`); resolves with its PID once it listens. */
export async function startService(ns: string, port: number, tag?: string): Promise<number> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, PROBE, 'serve', String(port), ...(tag ? [tag] : [])], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
  await new Promise<void>((ok, fail) => {
    child.stdout!.once('data', () => ok());
    child.once('exit', (c) => fail(new Error(`probe server in ${ns} exited with ${c}`)));
  });
  child.stdout!.destroy();
  child.unref();
  return child.pid!;
}

/** One TCP connection from the namespace (from `source` when given): the answer, "timeout" or "error <code>". */
export function connect(ns: string, host: string, port: number, source?: string, ms = 1500): string {
  return run([process.execPath, PROBE, 'connect', host, String(port), source ?? '', String(ms)], { ns }).trim();
}
