/**
 * The TypeScript side of packet-probe.py: one long-lived prober per instance
 * namespace, driven over JSON lines, stopped by its PID even when a test fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SYSTEM_PYTHON } from './server.js';

const SCRIPT = join(import.meta.dirname, 'packet-probe.py');

/** One crafted IPv4 packet; `id` is its marker, `at` when to send it (seconds after the batch's start). */
export interface ProbePacket {
  id: number;
  at: number;
  dmac: string;
  src: string;
  dst: string;
  proto: number;
  sport?: number;
  dport?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
}

export interface SendResult {
  sent: number;
  errors: string[];
  lateMs: number;
}

const running = new Set<Prober>();

export class Prober {
  private readonly pending: ((line: string) => void)[] = [];

  private constructor(readonly ns: string, private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => this.pending.shift()?.(line));
  }

  /** Starts the prober on the namespace's interface (which has this MAC and fixed IP); resolves once it sniffs. */
  static async start(ns: string, iface: string, mac: string, ip: string): Promise<Prober> {
    const child = spawn('ip', ['netns', 'exec', ns, SYSTEM_PYTHON, SCRIPT, iface, mac, ip], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => { err += d; });
    const prober = new Prober(ns, child);
    running.add(prober);
    const exited = new Promise<never>((_, fail) => child.once('exit', (c) => fail(new Error(`prober in ${ns} exited with ${c}: ${err}`))));
    const ready = await Promise.race([prober.next(), exited]);
    if (!JSON.parse(ready).ready) throw new Error(`prober in ${ns}: ${ready}`);
    exited.catch(() => {});
    return prober;
  }

  private next(): Promise<string> {
    return new Promise((ok) => this.pending.push(ok));
  }

  private async request(cmd: object): Promise<any> {
    const answer = this.next();
    this.child.stdin!.write(`${JSON.stringify(cmd)}\n`);
    return JSON.parse(await answer);
  }

  /** Sends the packets on schedule from `start` (Unix time, seconds); resolves once the last one left. */
  send(start: number, packets: ProbePacket[]): Promise<SendResult> {
    return this.request({ cmd: 'send', start, packets });
  }

  /** The markers of the probes received since the last collect. */
  async collect(): Promise<number[]> {
    return (await this.request({ cmd: 'collect' })).seen;
  }

  async stop(): Promise<void> {
    running.delete(this);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await gone;
  }
}

/** Stops every prober still running (after a failure). */
export async function stopProbers(): Promise<void> {
  for (const p of [...running]) await p.stop();
}
