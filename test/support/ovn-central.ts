/**
 * A throw-away OVN central for tests: Northbound and Southbound ovsdb-servers
 * and ovn-northd (Debian's ovn-central) in a temp dir, on unix sockets there
 * only, and an ovn-trace daemon over the Southbound database that traces
 * microflows through the logical flows northd made. Every process is stopped
 * by its own PID.
 *
 * ovn-trace reads the database once, when it starts: `load` replaces the
 * Northbound rows, waits for northd to have written the Southbound database,
 * and starts a fresh ovn-trace. Traces go to its unixctl socket as JSON-RPC
 * (what ovs-appctl sends), with no process per trace.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadArgs } from '../../src/backends/ovn/nbctl.js';
import { type NbRows } from '../../src/backends/ovn/rows.js';
import { NB_SCHEMA, nbctlAt, needOvn, startOvsdb, stopChild, untilExists } from './ovn-nb.js';
import { Unixctl } from './unixctl.js';

const run = promisify(execFile);
export const SB_SCHEMA = '/usr/share/ovn/ovn-sb.ovsschema';

export interface OvnCentral {
  /** replaces the Northbound rows with these (and the logical switches they name), and restarts ovn-trace once northd caught up, for up to `traces` traces */
  load(rows: NbRows, traces: number): Promise<void>;
  /** ovn-trace's output for one microflow (a new connection: every ct_next reports trk,new): minimal, or the detailed output that names each stage and logical flow */
  trace(microflow: string, format?: 'minimal' | 'detailed'): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The conntrack state each ct_next reports is the next of ovn-trace's `--ct` options, over the
 * daemon's whole life (its trace command takes none; once they run out, ct_next reports est).
 * A trace meets one ct_next in the ingress pipeline and one in each egress pipeline it reaches:
 * every port of the switch, when flooded.
 */
const ctNextPerTrace = (rows: NbRows) => 1 + rows.logical_switch_ports.length;
/** what ovn-trace says when it ran out of --ct options */
const CT_DEFAULT = 'default (use --ct to customize)';

/** Whether a process runs (an exited daemon stays a zombie until init reaps it: that one is gone). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

export async function startOvnCentral(): Promise<OvnCentral> {
  needOvn(['/usr/sbin/ovsdb-server', '/usr/bin/ovn-nbctl', '/usr/bin/ovn-northd', '/usr/bin/ovn-trace', NB_SCHEMA, SB_SCHEMA]);
  const dir = mkdtempSync(join(tmpdir(), 'portsec-ovn-central-'));
  const children: ChildProcess[] = [];
  const tracePidfile = join(dir, 'trace.pid');
  const traceCtl = join(dir, 'trace.ctl');
  let tracer: Unixctl | undefined;

  /** the running ovn-trace daemon, stopped by the PID in its pidfile */
  const stopTracer = async () => {
    tracer?.close();
    tracer = undefined;
    let pid: number;
    try {
      pid = Number(readFileSync(tracePidfile, 'utf8').trim());
    } catch {
      return;
    }
    rmSync(tracePidfile, { force: true });
    // only the daemon this central started: its command line names our socket
    if (!running(pid) || !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(traceCtl)) return;
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 500 && running(pid); i++) await new Promise((r) => setTimeout(r, 10));
    if (!running(pid)) return;
    throw new Error(`ovn-trace (pid ${pid}) did not stop`);
  };
  // the servers stop even when the tracer would not
  const stop = async () => {
    try {
      await stopTracer();
    } finally {
      for (const c of children.reverse()) await stopChild(c);
      rmSync(dir, { recursive: true, force: true });
    }
  };

  try {
    const nb = await startOvsdb(dir, NB_SCHEMA, 'nb');
    children.push(nb.child);
    const sb = await startOvsdb(dir, SB_SCHEMA, 'sb');
    children.push(sb.child);
    const nbctl = nbctlAt(nb.remote);
    await nbctl(['init']);
    const northd = spawn('ovn-northd', [`--ovnnb-db=${nb.remote}`, `--ovnsb-db=${sb.remote}`, `--unixctl=${join(dir, 'northd.ctl')}`, '--no-chdir', '-vconsole:off'], { stdio: 'ignore' });
    children.push(northd);
    await untilExists(join(dir, 'northd.ctl'), northd, 'ovn-northd');

    const load = async (rows: NbRows, traces: number) => {
      await stopTracer();
      await nbctl(['--all', 'destroy', 'Port_Group', '--', '--all', 'destroy', 'Logical_Switch', '--', '--all', 'destroy', 'Address_Set']);
      await nbctl(loadArgs(rows));
      await nbctl(['--timeout=60', '--wait=sb', 'sync']);
      // --detach returns once the daemon has read the database
      await run('ovn-trace', [`--db=${sb.remote}`, ...Array(traces * ctNextPerTrace(rows)).fill('--ct=new'), '--detach', '--no-chdir', `--pidfile=${tracePidfile}`,
        `--unixctl=${traceCtl}`, '--no-friendly-names', '-vconsole:off', '-vfile:off']);
      tracer = await Unixctl.connect(traceCtl);
    };
    const trace = async (microflow: string, format: 'minimal' | 'detailed' = 'minimal') => {
      if (!tracer) throw new Error('load rows before tracing');
      const out = await tracer.call('trace', [`--${format}`, microflow]);
      if (out.includes(CT_DEFAULT)) throw new Error(`ovn-trace ran out of --ct options (more traces than loaded for?): ${out}`);
      return out;
    };
    return { load, trace, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
