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
import { loadArgs } from '../../src/backends/ovn/nbctl.js';
import { type NbRows } from '../../src/backends/ovn/rows.js';
import { readBack, startOvnNb } from '../support/ovn-nb.js';
import { ovnInput } from './ovn-input.mjs';
import { generateTopology } from './topology-generator.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.resolve(here, '../fixtures/golden-ovn');
const iptablesDir = path.resolve(here, '../fixtures/golden');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
const randoms = files.filter((f) => f.startsWith('random-'));
const samples = files.filter((f) => f.startsWith('sample-'));
const read = (d: string, f: string) => JSON.parse(fs.readFileSync(path.join(d, f), 'utf8'));


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

describe('OVN golden fixtures load with ovn-nbctl', () => {
  it(`every fixture's initial rows load into a fresh NB database and read back the same`, async () => {
    for (const f of files) {
      const rows: NbRows = read(dir, f).initial;
      const nb = await startOvnNb();
      try {
        await nb.nbctl(loadArgs(rows));
        expect(await readBack(nb), f).toEqual(rows);
      } finally {
        await nb.stop();
      }
    }
  }, 120_000);
});
