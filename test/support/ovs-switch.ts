/**
 * A throw-away Open vSwitch for tests: Debian's ovsdb-server (a fresh
 * database from vswitch.ovsschema) and ovs-vswitchd with dummy datapaths
 * (`--enable-dummy=override`: no kernel module, no root), everything they
 * write — database, sockets, pidfiles, logs — in one temp dir, never
 * /var/run/openvswitch. Both are children of this process, stopped by the PID
 * they were started with.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Unixctl } from './unixctl.js';

const run = promisify(execFile);
export const VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

export interface OvsSwitch {
  dir: string;
  /** ovs-vsctl against this database (waits until ovs-vswitchd applied the change) */
  vsctl(args: string[]): Promise<string>;
  /** ovs-ofctl against a bridge of this switch, at an OpenFlow version; `input` is its stdin (add-flows -) */
  ofctl(bridge: string, version: string, args: string[], input?: string): Promise<string>;
  /** ovs-vswitchd's unixctl connection (ofproto/trace, dpif/show, ...) */
  unixctl: Unixctl;
  /** the daemons' PIDs, for the report */
  pids: number[];
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(path: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!existsSync(path)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${what} did not start (no ${path})`);
    await sleep(20);
  }
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(child.pid, 'SIGTERM');
  await Promise.race([exited, sleep(5000)]);
  if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
}

export async function startOvs(): Promise<OvsSwitch> {
  for (const need of ['/usr/sbin/ovsdb-server', '/usr/sbin/ovs-vswitchd', '/usr/bin/ovs-vsctl', '/usr/bin/ovs-ofctl', VSWITCH_SCHEMA]) {
    if (!existsSync(need)) throw new Error(`${need} missing: this test needs Debian's openvswitch-switch (scripts/test-deps.sh)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'portsec-ovs-'));
  // the tools find their sockets and files here, not under /var/run/openvswitch or /etc/openvswitch
  const env = { ...process.env, OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir };
  const db = join(dir, 'conf.db');
  const dbSocket = join(dir, 'db.sock');
  const ctl = join(dir, 'ovs-vswitchd.ctl');
  let server: ChildProcess | undefined;
  let vswitchd: ChildProcess | undefined;
  let unixctl: Unixctl | undefined;
  const stop = async () => {
    unixctl?.close();
    await stopChild(vswitchd);
    await stopChild(server);
    rmSync(dir, { recursive: true, force: true });
  };
  const vsctl = async (args: string[]) => (await run('ovs-vsctl', [`--db=unix:${dbSocket}`, '--timeout=20', ...args], { env })).stdout;
  try {
    await run('ovsdb-tool', ['create', db, VSWITCH_SCHEMA], { env });
    server = spawn('ovsdb-server', [db, `--remote=punix:${dbSocket}`, `--unixctl=${join(dir, 'ovsdb-server.ctl')}`,
      `--pidfile=${join(dir, 'ovsdb-server.pid')}`, `--log-file=${join(dir, 'ovsdb-server.log')}`, '--no-chdir', '-vconsole:off'], { stdio: 'ignore', env });
    await waitFor(dbSocket, server, 'ovsdb-server');
    await run('ovs-vsctl', [`--db=unix:${dbSocket}`, '--no-wait', 'init'], { env });
    vswitchd = spawn('ovs-vswitchd', [`unix:${dbSocket}`, '--enable-dummy=override', `--unixctl=${ctl}`,
      `--pidfile=${join(dir, 'ovs-vswitchd.pid')}`, `--log-file=${join(dir, 'ovs-vswitchd.log')}`, '--no-chdir', '-vconsole:off'], { stdio: 'ignore', env });
    await waitFor(ctl, vswitchd, 'ovs-vswitchd');
    unixctl = await Unixctl.connect(ctl);
  } catch (e) {
    await stop();
    throw e;
  }
  const ofctl = async (bridge: string, version: string, args: string[], input?: string) => {
    const child = execFile('ovs-ofctl', ['-O', version, ...args.slice(0, 1), `unix:${join(dir, `${bridge}.mgmt`)}`, ...args.slice(1)], { env, maxBuffer: 1 << 28 });
    const done = new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (err += d));
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`ovs-ofctl ${args[0]}: exit ${code}: ${err.trim()}`))));
    });
    // a refused input ends ovs-ofctl before it read everything: its exit status tells, not the broken pipe
    child.stdin!.on('error', () => {});
    child.stdin!.end(input ?? '');
    return done;
  };
  return { dir, vsctl, ofctl, unixctl, pids: [server.pid!, vswitchd.pid!], stop };
}
