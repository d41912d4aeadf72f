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

/** The rows the golden OVN fixtures hold (test/golden/README.md, "OVN fixtures"). */
export interface NbAcl { direction: string; priority: number; match: string; action: string; external_ids: Record<string, string> }
export interface NbPortGroup { name: string; ports: string[]; acls: NbAcl[] }
export interface NbLsp { name: string; switch: string; type: string; addresses: string[]; port_security: string[] }
export interface NbAddressSet { name: string; addresses: string[] }
export interface NbRows { logical_switch_ports: NbLsp[]; port_groups: NbPortGroup[]; address_sets: NbAddressSet[] }

export interface OvnNb {
  nbctl(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** Fails naming the Debian package when a program or schema the OVN tests run is missing. */
export function needOvn(paths: string[]): void {
  for (const need of paths) {
    if (!existsSync(need)) throw new Error(`${need} missing: the OVN tests need Debian's openvswitch-common and ovn-central (scripts/test-deps.sh)`);
  }
}

/** Stops a child the test started, by its PID, and waits for it to be gone. */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (child?.pid && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

/** Waits until `path` exists (a server's socket), failing if `child` exits first. */
export async function untilExists(path: string, child: ChildProcess, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${what} did not start`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An ovsdb-server for one schema in `dir`, listening on `dir`/`name`.sock only. */
export async function startOvsdb(dir: string, schema: string, name: string): Promise<{ child: ChildProcess; socket: string }> {
  const db = join(dir, `${name}.db`);
  const socket = join(dir, `${name}.sock`);
  await run('ovsdb-tool', ['create', db, schema]);
  const child = spawn('ovsdb-server', [`--remote=punix:${socket}`, `--unixctl=${join(dir, `${name}.ctl`)}`, '--no-chdir', db], { stdio: 'ignore' });
  await untilExists(socket, child, `ovsdb-server (${name})`);
  return { child, socket };
}

export const nbctlAt = (socket: string) => async (args: string[]) => (await run('ovn-nbctl', [`--db=unix:${socket}`, ...args], { maxBuffer: 1 << 26 })).stdout;

export async function startOvnNb(): Promise<OvnNb> {
  needOvn(['/usr/sbin/ovsdb-server', '/usr/bin/ovn-nbctl', NB_SCHEMA]);
  const dir = mkdtempSync(join(tmpdir(), 'portsec-ovn-nb-'));
  let child: ChildProcess | undefined;
  const stop = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  let socket: string;
  try {
    ({ child, socket } = await startOvsdb(dir, NB_SCHEMA, 'nb'));
  } catch (e) {
    await stop();
    throw e;
  }
  return { nbctl: nbctlAt(socket), stop };
}

const q = (s: string) => JSON.stringify(s);
const set = (xs: string[]) => `[${xs.map(q).join(',')}]`;
const map = (m: Record<string, string>) => `{${Object.entries(m).map(([k, v]) => `${q(k)}=${q(v)}`).join(',')}}`;

/** ovn-nbctl database commands creating the rows (and the logical switches their ports name), for one transaction. */
export function loadCommands(rows: NbRows): string[][] {
  const cmds: string[][] = [];
  for (const sw of new Set(rows.logical_switch_ports.map((l) => l.switch))) cmds.push(['ls-add', sw]);
  const lspId = new Map<string, string>();
  rows.logical_switch_ports.forEach((l, i) => {
    lspId.set(l.name, `@lsp${i}`);
    cmds.push([`--id=@lsp${i}`, 'create', 'Logical_Switch_Port', `name=${q(l.name)}`, `type=${q(l.type)}`, `addresses=${set(l.addresses)}`, `port_security=${set(l.port_security)}`]);
    cmds.push(['add', 'Logical_Switch', l.switch, 'ports', `@lsp${i}`]);
  });
  let n = 0;
  for (const g of rows.port_groups) {
    const acls = g.acls.map((a) => {
      const id = `@acl${n++}`;
      cmds.push([`--id=${id}`, 'create', 'ACL', `direction=${a.direction}`, `priority=${a.priority}`, `match=${q(a.match)}`, `action=${a.action}`, `external_ids=${map(a.external_ids)}`]);
      return id;
    });
    cmds.push(['create', 'Port_Group', `name=${q(g.name)}`, `ports=[${g.ports.map((p) => lspId.get(p)).join(',')}]`, `acls=[${acls.join(',')}]`]);
  }
  for (const s of rows.address_sets) cmds.push(['create', 'Address_Set', `name=${q(s.name)}`, `addresses=${set(s.addresses)}`]);
  return cmds;
}

/** One ovn-nbctl argument list running the commands as one transaction. */
export const oneTransaction = (cmds: string[][]) => cmds.flatMap((c, i) => (i ? ['--', ...c] : c));
