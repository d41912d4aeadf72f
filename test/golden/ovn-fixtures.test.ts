// The OVN golden fixtures (test/fixtures/golden-ovn): well formed, inputs the
// generator still makes, Neutron still writes the same rows, and the rows load
// back into a fresh Northbound database with ovn-nbctl.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadCommands, type NbAcl, type NbRows, oneTransaction, startOvnNb } from '../support/ovn-nb.js';
import { ovnInput } from './ovn-input.mjs';
import { generateTopology } from './topology-generator.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.resolve(here, '../fixtures/golden-ovn');
const iptablesDir = path.resolve(here, '../fixtures/golden');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
const randoms = files.filter((f) => f.startsWith('random-'));
const samples = files.filter((f) => f.startsWith('sample-'));
const read = (d: string, f: string) => JSON.parse(fs.readFileSync(path.join(d, f), 'utf8'));


const sorted = (xs: string[]) => xs.slice().sort();
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
// (direction, priority descending, match, action): one port group never holds two ACLs
// alike in all four, as Neutron adds each rule's ACL with may_exist
const aclOrder = (a: NbAcl, b: NbAcl) => cmp(a.direction, b.direction) || b.priority - a.priority || cmp(a.match, b.match) || cmp(a.action, b.action);
const byName = <T extends { name: string }>(rows: T[]) => rows.slice().sort((a, b) => cmp(a.name, b.name));

function expectRows(r: NbRows | null, where: string) {
  expect(r, where).toBeTypeOf('object');
  expect(r, where).not.toBeNull();
  expect(Object.keys(r!).sort(), where).toEqual(['address_sets', 'logical_switch_ports', 'port_groups']);
  const names = new Set(r!.logical_switch_ports.map((l) => l.name));
  for (const l of r!.logical_switch_ports) {
    expect(l.switch, `${where}: ${l.name}`).toMatch(/^neutron-/);
    expect(l.addresses.length, `${where}: ${l.name} addresses`).toBeGreaterThan(0);
  }
  expect(r!.port_groups.map((g) => g.name), where).toContain('neutron_pg_drop');
  for (const g of r!.port_groups) {
    for (const p of g.ports) expect(names.has(p), `${where}: ${g.name} member ${p}`).toBe(true);
    const keys = g.acls.map((a) => `${a.direction} ${a.priority} ${a.match}`);
    expect(new Set(keys).size, `${where}: ${g.name} holds two ACLs alike`).toBe(keys.length);
    for (const a of g.acls) {
      expect(['from-lport', 'to-lport'], `${where}: ${g.name}`).toContain(a.direction);
      expect(['allow-related', 'allow-stateless', 'drop'], `${where}: ${g.name}`).toContain(a.action);
    }
  }
}

describe('OVN golden fixtures', () => {
  it('has at least 200 random fixtures and one per iptables sample', () => {
    expect(randoms.length).toBeGreaterThanOrEqual(200);
    const iptablesSamples = fs.readdirSync(iptablesDir).filter((f) => f.startsWith('sample-')).sort();
    expect(samples).toEqual(iptablesSamples);
  });

  it('every fixture is well formed, its input the generator or the iptables sample with driver ovn', () => {
    for (const f of files) {
      const fx = read(dir, f);
      expect(fx.input.options, `${f}: options`).toEqual({ driver: 'ovn' });
      expectRows(fx.initial, `${f}: initial`);
      if (fx.input.events?.length) expectRows(fx.final, `${f}: final`);
      else expect(fx.final, `${f}: final`).toBeNull();
      const source = f.startsWith('random-') ? generateTopology(fx.seed) : read(iptablesDir, f).input;
      expect(ovnInput(source), `${f}: input drifted`).toEqual(fx.input);
    }
  });

  it('Neutron writes the same bytes again (3 random fixtures)', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'portsec-golden-ovn-test-'));
    try {
      const only = [0, Math.floor(randoms.length / 2), randoms.length - 1];
      await promisify(execFile)(process.execPath, [path.join(here, 'make-ovn-fixtures.mjs'), '--count', String(randoms.length), '--no-samples', '--only', only.join(','), '--out', out]);
      const again = fs.readdirSync(out).sort();
      expect(again).toEqual(only.map((i) => randoms[i]));
      for (const f of again) expect(fs.readFileSync(path.join(out, f), 'utf8'), f).toBe(fs.readFileSync(path.join(dir, f), 'utf8'));
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});

// ---- loading the rows back with ovn-nbctl ----

type Datum = string | number | boolean | [string, unknown];
const atoms = (d: Datum): unknown[] => (Array.isArray(d) && d[0] === 'set' ? (d[1] as unknown[]) : [d]);
const uuidOf = (d: unknown) => (d as [string, string])[1];
const mapOf = (d: Datum) => Object.fromEntries((d as [string, [string, string][]])[1]);

async function list(nbctl: (a: string[]) => Promise<string>, table: string, columns: string[]) {
  const out = JSON.parse(await nbctl(['--format=json', '--data=json', `--columns=${columns.join(',')}`, 'list', table]));
  return (out.data as Datum[][]).map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]])));
}

/** the rows as the database holds them, in the fixtures' shape */
async function readBack(nbctl: (a: string[]) => Promise<string>): Promise<NbRows> {
  const lspRows = await list(nbctl, 'Logical_Switch_Port', ['_uuid', 'name', 'type', 'addresses', 'port_security']);
  const lspName = new Map(lspRows.map((r) => [uuidOf(r._uuid), r.name as string]));
  const switchOf = new Map<string, string>();
  for (const s of await list(nbctl, 'Logical_Switch', ['name', 'ports'])) {
    for (const p of atoms(s.ports)) switchOf.set(lspName.get(uuidOf(p))!, s.name as string);
  }
  const acls = new Map(
    (await list(nbctl, 'ACL', ['_uuid', 'direction', 'priority', 'match', 'action', 'external_ids'])).map((a) => [
      uuidOf(a._uuid),
      { direction: a.direction, priority: a.priority, match: a.match, action: a.action, external_ids: mapOf(a.external_ids) } as NbAcl,
    ]),
  );
  const pgs = (await list(nbctl, 'Port_Group', ['name', 'ports', 'acls'])).map((g) => ({
    name: g.name as string,
    ports: sorted(atoms(g.ports).map((p) => lspName.get(uuidOf(p))!)),
    acls: atoms(g.acls).map((a) => acls.get(uuidOf(a))!).sort(aclOrder),
  }));
  const sets = (await list(nbctl, 'Address_Set', ['name', 'addresses'])).map((s) => ({ name: s.name as string, addresses: sorted(atoms(s.addresses) as string[]) }));
  return {
    logical_switch_ports: byName(
      lspRows.map((r) => ({
        name: r.name as string,
        switch: switchOf.get(r.name as string)!,
        type: r.type as string,
        addresses: sorted(atoms(r.addresses) as string[]),
        port_security: sorted(atoms(r.port_security) as string[]),
      })),
    ),
    port_groups: byName(pgs),
    address_sets: byName(sets),
  };
}

describe('OVN golden fixtures load with ovn-nbctl', () => {
  it(`every fixture's initial rows load into a fresh NB database and read back the same`, async () => {
    for (const f of files) {
      const rows: NbRows = read(dir, f).initial;
      const nb = await startOvnNb();
      try {
        await nb.nbctl(oneTransaction(loadCommands(rows)));
        expect(await readBack(nb.nbctl), f).toEqual(rows);
      } finally {
        await nb.stop();
      }
    }
  }, 120_000);
});
