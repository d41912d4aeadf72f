/** Probe servers and clients inside instance namespaces (see probe.ts). */
import { type ChildProcess, spawn } from 'node:child_process';
import { run } from '../dataplane/exec.js';
import { repoPath } from './paths.js';

// the probe runs as compiled JavaScript, also when this module runs from source (tests)
const PROBE = repoPath('dist/src/lab/probe.js');

/** Starts the probe in the namespace; resolves with the process once it printed its first line. */
async function startProbe(ns: string, args: string[], stdout: 'pipe' | 'detach'): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, PROBE, ...args], { stdio: ['ignore', 'pipe', 'ignore'], detached: stdout === 'detach' });
  await new Promise<void>((ok, fail) => {
    child.stdout!.once('data', () => ok());
    child.once('exit', (c) => fail(new Error(`probe ${args[0]} in ${ns} exited with ${c}`)));
  });
  return child;
}

/** Starts a probe server in the namespace (answers tagged with `tag`); resolves with its PID once it listens. */
export async function startService(ns: string, port: number, tag?: string): Promise<number> {
  const child = await startProbe(ns, ['serve', String(port), ...(tag ? [tag] : [])], 'detach');
  child.stdout!.destroy();
  child.unref();
  return child.pid!;
}

/** One TCP connection from the namespace (from `source` when given): the answer, "timeout" or "error <code>". */
export function connect(ns: string, host: string, port: number, source?: string, ms = 1500): string {
  return run([process.execPath, PROBE, 'connect', host, String(port), source ?? '', String(ms)], { ns }).trim();
}

/** A datagram of a UDP stream that reached its sink: which target of the stream, its number, when sent and received (ms). */
export interface Datagram {
  target: number;
  seq: number;
  sentAt: number;
  receivedAt: number;
}

/** A probe process whose output is read while it runs, stopped with SIGTERM. */
export interface RunningProbe {
  pid: number;
  /** stops it (if still running) and resolves once it exited */
  stop(): Promise<void>;
}

function lines(child: ChildProcess, onLine: (line: string) => void): void {
  let rest = '';
  child.stdout!.on('data', (d) => {
    const parts = (rest + d).split('\n');
    rest = parts.pop()!;
    parts.forEach(onLine);
  });
}

function running(child: ChildProcess): RunningProbe {
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  return {
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A UDP sink in the namespace on `ports`; `received` fills with every datagram of a stream that arrives. */
export async function startUdpSink(ns: string, ports: number[]): Promise<RunningProbe & { received: Datagram[] }> {
  const child = await startProbe(ns, ['udp-sink', ...ports.map(String)], 'pipe');
  const received: Datagram[] = [];
  lines(child, (line) => {
    const [, target, seq, sentAt, receivedAt] = line.split(' ').map(Number);
    received.push({ target, seq, sentAt, receivedAt });
  });
  return { ...running(child), received };
}

/**
 * A UDP stream from the namespace: every `intervalMs` one datagram to each target
 * (`host:port` or `host:port:source`), for `seconds` at most. `sent` holds how many
 * went to each target once it stopped.
 */
export async function startUdpStream(ns: string, intervalMs: number, seconds: number, targets: string[]): Promise<RunningProbe & { sent: number[] }> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, PROBE, 'udp-stream', String(intervalMs), String(seconds), ...targets], { stdio: ['ignore', 'pipe', 'ignore'] });
  const sent = targets.map(() => 0);
  lines(child, (line) => {
    const [word, target, count] = line.split(' ');
    if (word === 'sent') sent[Number(target)] = Number(count);
  });
  return { ...running(child), sent };
}

/** An echo server (TCP and UDP) on `port` in the namespace. */
export async function startEcho(ns: string, port: number): Promise<RunningProbe> {
  return running(await startProbe(ns, ['echo', String(port)], 'pipe'));
}

/** One long-lived flow from the namespace; `answers` holds when each echo came back (ms). */
export async function startTalk(ns: string, protocol: 'tcp' | 'udp', host: string, port: number, intervalMs: number): Promise<RunningProbe & { answers: number[] }> {
  const child = await startProbe(ns, ['talk', protocol, host, String(port), String(intervalMs)], 'pipe');
  const answers: number[] = [];
  lines(child, (line) => { if (line.startsWith('echo ')) answers.push(Date.now()); });
  return { ...running(child), answers };
}
