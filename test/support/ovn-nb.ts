/**
 * A throw-away OVN Northbound database for tests: Debian's ovsdb-server with
 * ovn-nb.ovsschema in a temp dir, on a unix socket only, stopped by the PID it
 * was started with. `nbctl` runs Debian's ovn-nbctl against it; `readBack`
 * reads the rows that decide port security in the OVN fixtures' shape.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Acl, aclOrder, byName, type NbRows, sortedText } from '../../src/backends/ovn/rows.js';

const run = promisify(execFile);
export const NB_SCHEMA = '/usr/share/ovn/ovn-nb.ovsschema';

export interface OvnNb {
  /** the database's address, as ovn-nbctl's --db and OVN_NB_DB take it */
  remote: string;
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
  const remote = `unix:${socket}`;
  const nbctl = async (args: string[]) => (await run('ovn-nbctl', [`--db=${remote}`, ...args], { maxBuffer: 1 << 26 })).stdout;
  return { remote, nbctl, stop };
}

type Datum = string | number | boolean | [string, unknown];
const atoms = (d: Datum): unknown[] => (Array.isArray(d) && d[0] === 'set' ? (d[1] as unknown[]) : [d]);
const uuidOf = (d: unknown) => (d as [string, string])[1];
const mapOf = (d: Datum) => Object.fromEntries((d as [string, [string, string][]])[1]);

async function list(nb: OvnNb, table: string, columns: string[]) {
  const out = JSON.parse(await nb.nbctl(['--format=json', '--data=json', `--columns=${columns.join(',')}`, 'list', table]));
  return (out.data as Datum[][]).map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]])));
}

/** The rows as the database holds them, in the fixtures' shape (keys in the same order). */
export async function readBack(nb: OvnNb): Promise<NbRows> {
  const lspRows = await list(nb, 'Logical_Switch_Port', ['_uuid', 'name', 'type', 'addresses', 'port_security']);
  const lspName = new Map(lspRows.map((r) => [uuidOf(r._uuid), r.name as string]));
  const switchOf = new Map<string, string>();
  for (const s of await list(nb, 'Logical_Switch', ['name', 'ports'])) {
    for (const p of atoms(s.ports)) switchOf.set(lspName.get(uuidOf(p))!, s.name as string);
  }
  const acls = new Map(
    (await list(nb, 'ACL', ['_uuid', 'direction', 'priority', 'match', 'action', 'external_ids'])).map((a) => [
      uuidOf(a._uuid),
      { action: a.action, direction: a.direction, external_ids: mapOf(a.external_ids), match: a.match, priority: a.priority } as Acl,
    ]),
  );
  const pgs = (await list(nb, 'Port_Group', ['name', 'ports', 'acls'])).map((g) => ({
    acls: atoms(g.acls).map((a) => acls.get(uuidOf(a))!).sort(aclOrder),
    name: g.name as string,
    ports: sortedText(atoms(g.ports).map((p) => lspName.get(uuidOf(p))!)),
  }));
  const sets = (await list(nb, 'Address_Set', ['name', 'addresses'])).map((s) => ({ addresses: sortedText(atoms(s.addresses) as string[]), name: s.name as string }));
  return {
    address_sets: byName(sets),
    logical_switch_ports: byName(
      lspRows.map((r) => ({
        addresses: sortedText(atoms(r.addresses) as string[]),
        name: r.name as string,
        port_security: sortedText(atoms(r.port_security) as string[]),
        switch: switchOf.get(r.name as string)!,
        type: r.type as string,
      })),
    ),
    port_groups: byName(pgs),
  };
}
