#!/usr/bin/env node
// Writes test/fixtures/golden/{random-NNN,sample-<name>}.json from REAL
// Neutron: test/golden/neutron_driver.py runs Neutron 21's own iptables
// firewall driver offline.
//
//   node test/golden/make-fixtures.mjs [--count 200] [--seed 1] [--jobs 2]
//                                      [--no-samples] [--only I,J,...] [--out DIR]
//
// --only regenerates just those random fixture indexes (seed = --seed + index).
// --out writes the fixtures to DIR instead (to compare them with the stored ones).
// The samples' inputs are read from the stored sample-<name>.json files.
//
// For every topology: `initial` = the driver on the input without its events;
// `final` = the driver on the end topology (events applied to the input, then a
// fresh sync), or null when there are no events. The driver's own event replay
// is only checked to be accepted (it reproduces a Neutron stale-ipset quirk).

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFixtureArgs, pool } from './fixture-cli.mjs';
import { applyEvents, generateTopology, withoutEvents } from './topology-generator.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtureDir = path.resolve(here, '../fixtures/golden');
const driver = path.join(here, 'neutron_driver.py');

const args = parseFixtureArgs(process.argv.slice(2), fixtureDir);
const outDir = args.out;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portsec-golden-'));
let tmpN = 0;

class DriverError extends Error {}

/** Run neutron_driver.py on `input`; resolves to {ipset_restore, iptables_save}. */
function neutron(input, what) {
  const file = path.join(tmp, `in-${tmpN++}.json`);
  fs.writeFileSync(file, JSON.stringify(input));
  return new Promise((resolve, reject) => {
    execFile(args.python, [driver, file], { maxBuffer: 1 << 30, encoding: 'utf8' }, (err, stdout, stderr) => {
      fs.rmSync(file, { force: true });
      if (err) {
        reject(new DriverError(`${what}: neutron_driver.py exit ${err.code}\n${stderr.trim()}`));
        return;
      }
      try {
        const out = JSON.parse(stdout);
        resolve({ ipset_restore: out.ipset_restore, iptables_save: out.iptables_save });
      } catch (e) {
        reject(new DriverError(`${what}: unparsable output: ${e}`));
      }
    });
  });
}

/** {seed, input, initial, final} for one topology (input may have events). */
async function fixtureFor(input, what, extra) {
  const initial = await neutron(withoutEvents(input), `${what} initial`);
  let final = null;
  if (input.events?.length) {
    final = await neutron(applyEvents(input), `${what} final`);
    // the events themselves must be accepted too (the stored input keeps them)
    await neutron(input, `${what} with events`);
  }
  return { ...extra, input, initial, final };
}

function write(name, fixture) {
  fs.writeFileSync(path.join(outDir, name), JSON.stringify(fixture, null, 1) + '\n');
}

fs.mkdirSync(outDir, { recursive: true });
const tasks = [];
const width = Math.max(3, String(args.count - 1).length);
let done = 0;
let total = args.only ? args.only.length : args.count;

for (let i = 0; i < args.count; i++) {
  if (args.only && !args.only.includes(i)) continue;
  const seed = args.seed + i;
  const name = `random-${String(i).padStart(width, '0')}.json`;
  tasks.push(async () => {
    const input = generateTopology(seed);
    write(name, await fixtureFor(input, `${name} (seed ${seed})`, { seed }));
    if (++done % 10 === 0) console.error(`${done}/${total}`);
  });
}

if (args.samples) {
  const samples = fs
    .readdirSync(fixtureDir)
    .filter((f) => f.startsWith('sample-') && f.endsWith('.json'))
    .sort();
  for (const f of samples) {
    const { sample, input } = JSON.parse(fs.readFileSync(path.join(fixtureDir, f), 'utf8'));
    total++;
    tasks.push(async () => {
      write(f, await fixtureFor(input, `sample ${sample}`, { seed: null, sample }));
    });
  }
}

const failures = await pool(tasks, args.jobs, DriverError);
fs.rmSync(tmp, { recursive: true, force: true });
if (failures.length) {
  console.error(`${failures.length} topologies failed; no fixture written for them`);
  process.exit(1);
}
console.error(`wrote ${tasks.length} fixtures to ${path.relative(process.cwd(), outDir) || outDir}`);
