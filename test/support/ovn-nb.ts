/**
 * A throw-away OVN Northbound database for tests: Debian's ovsdb-server with
 * ovn-nb.ovsschema in a temp dir, on a unix socket only, stopped by the PID it
 * was started with. `nbctl` runs Debian's ovn-nbctl against it.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const NB_SCHEMA = '/usr/share/ovn/ovn-nb.ovsschema';

export interface OvnNb {
  nbctl(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startOvnNb(): Promise<OvnNb> {
  for (const need of ['/usr/sbin/ovsdb-server', '/usr/bin/ovn-nbctl', NB_SCHEMA]) {
    if (!existsSync(need)) throw new Error(`${need} missing: the OVN tests need Debian's openvswitch-common and ovn-central (scripts/test-deps.sh)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'portsec-ovn-nb-'));
  const db = join(dir, 'nb.db');
  const socket = join(dir, 'nb.sock');
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run('ovsdb-tool', ['create', db, NB_SCHEMA]);
    child = spawn('ovsdb-server', [`--remote=punix:${socket}`, `--unixctl=${join(dir, 'ctl')}`, '--no-chdir', db], { stdio: 'ignore' });
    const deadline = Date.now() + 20_000;
    while (!existsSync(socket)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error('ovsdb-server did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  const nbctl = async (args: string[]) => (await run('ovn-nbctl', [`--db=unix:${socket}`, ...args], { maxBuffer: 1 << 26 })).stdout;
  return { nbctl, stop };
}
