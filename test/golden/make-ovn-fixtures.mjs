#!/usr/bin/env node
// Writes test/fixtures/golden-ovn/{random-NNN,sample-<name>}.json from REAL
// Neutron: test/golden/neutron_ovn_driver.py runs Neutron 21's ML2/OVN driver
// code against a throw-away ovsdb-server with the OVN Northbound schema.
//
//   node test/golden/make-ovn-fixtures.mjs [--count 200] [--seed 1] [--jobs 2]
//                                          [--no-samples] [--only I,J,...] [--out DIR]
//
// Inputs are those of the iptables fixtures with options.driver "ovn"
// (ovn-input.mjs): random-NNN from generateTopology(--seed + NNN), sample-<name>
// from every test/fixtures/golden/sample-<name>.json. `initial` = the NB rows for
// the input without its events; `final` = the NB rows for the end topology
// (events applied, a fresh sync), or null without events.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFixtureArgs, pool } from './fixture-cli.mjs';
import { ovnInput } from './ovn-input.mjs';
import { applyEvents, generateTopology, withoutEvents } from './topology-generator.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtureDir = path.resolve(here, '../fixtures/golden-ovn');
const sampleDir = path.resolve(here, '../fixtures/golden');
const driver = path.join(here, 'neutron_ovn_driver.py');

const args = parseFixtureArgs(process.argv.slice(2), fixtureDir);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portsec-golden-ovn-'));
let tmpN = 0;

class DriverError extends Error {}

/** Run neutron_ovn_driver.py on `input` (no events); resolves to its NB rows. */
function neutron(input, what) {
  const file = path.join(tmp, `in-${tmpN++}.json`);
  fs.writeFileSync(file, JSON.stringify(input));
  return new Promise((resolve, reject) => {
    execFile(args.python, [driver, file], { maxBuffer: 1 << 30, encoding: 'utf8' }, (err, stdout, stderr) => {
      fs.rmSync(file, { force: true });
      if (err) {
        reject(new DriverError(`${what}: neutron_ovn_driver.py exit ${err.code}\n${stderr.trim()}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout));
      } catch (e) {
        reject(new DriverError(`${what}: unparsable output: ${e}`));
      }
    });
  });
}

async function fixtureFor(input, what, extra) {
  const initial = await neutron(withoutEvents(input), `${what} initial`);
  const final = input.events?.length ? await neutron(applyEvents(input), `${what} final`) : null;
  return { ...extra, input, initial, final };
}

function write(name, fixture) {
  fs.writeFileSync(path.join(args.out, name), JSON.stringify(fixture, null, 1) + '\n');
}

fs.mkdirSync(args.out, { recursive: true });
const started = Date.now();
const tasks = [];
const width = Math.max(3, String(args.count - 1).length);
let done = 0;

for (let i = 0; i < args.count; i++) {
  if (args.only && !args.only.includes(i)) continue;
  const seed = args.seed + i;
  const name = `random-${String(i).padStart(width, '0')}.json`;
  tasks.push(async () => {
    write(name, await fixtureFor(ovnInput(generateTopology(seed)), `${name} (seed ${seed})`, { seed }));
    if (++done % 10 === 0) console.error(`${done}/${tasks.length}`);
  });
}

if (args.samples) {
  const samples = fs
    .readdirSync(sampleDir)
    .filter((f) => f.startsWith('sample-') && f.endsWith('.json'))
    .sort();
  for (const f of samples) {
    const { sample, input } = JSON.parse(fs.readFileSync(path.join(sampleDir, f), 'utf8'));
    tasks.push(async () => {
      write(f, await fixtureFor(ovnInput(input), `sample ${sample}`, { seed: null, sample }));
    });
  }
}

const failures = await pool(tasks, args.jobs, DriverError);
fs.rmSync(tmp, { recursive: true, force: true });
if (failures.length) {
  console.error(`${failures.length} topologies failed; no fixture written for them`);
  process.exit(1);
}
const secs = ((Date.now() - started) / 1000).toFixed(0);
console.error(`wrote ${tasks.length} fixtures to ${path.relative(process.cwd(), args.out) || args.out} in ${secs} s`);
