#!/usr/bin/env node
// Writes test/fixtures/golden-ovs/{random-NNN,sample-<name>}.json from REAL
// Neutron: test/golden/neutron_ovs_driver.py runs Neutron 21's own
// OVSFirewallDriver offline and prints the integration bridge's flows.
//
//   node test/golden/make-ovs-fixtures.mjs [--count 200] [--seed 1] [--jobs 2]
//                                          [--no-samples] [--only I,J,...] [--out DIR]
//
// The inputs are the golden (iptables) fixtures' with options.driver
// "openvswitch": random-NNN = generateTopology(seed + NNN), each golden
// sample-<name>.json's input. `initial` = the flows after the initial sync of
// the input without its events; `final` = after a fresh sync of the end
// topology (events applied), or null without events. The event replay itself
// is run too and must be accepted.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFixtureArgs, pool } from './fixture-cli.mjs';
import { applyEvents, generateTopology, withDriver, withoutEvents } from './topology-generator.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const goldenDir = path.resolve(here, '../fixtures/golden');
const fixtureDir = path.resolve(here, '../fixtures/golden-ovs');
const harness = path.join(here, 'neutron_ovs_driver.py');
const DRIVER = 'openvswitch';

const args = parseFixtureArgs(process.argv.slice(2), fixtureDir);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portsec-golden-ovs-'));
let tmpN = 0;

const BATCH = 12; // fixtures per harness process: Neutron's import is most of a run

class HarnessError extends Error {}

/** Run neutron_ovs_driver.py --batch on `inputs`; resolves to one result per input. */
function neutronBatch(inputs, what) {
  const file = path.join(tmp, `in-${tmpN++}.json`);
  fs.writeFileSync(file, JSON.stringify(inputs));
  return new Promise((resolve, reject) => {
    execFile(args.python, [harness, '--batch', file], { maxBuffer: 1 << 30, encoding: 'utf8' }, (err, stdout, stderr) => {
      fs.rmSync(file, { force: true });
      if (err) {
        reject(new HarnessError(`${what}: neutron_ovs_driver.py exit ${err.code}\n${stderr.trim()}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout));
      } catch (e) {
        reject(new HarnessError(`${what}: unparsable output: ${e}`));
      }
    });
  });
}

/** The harness runs a fixture needs: initial; with events also the end topology and the replay. */
function runsFor(input) {
  const runs = [withoutEvents(input)];
  if (input.events?.length) runs.push(applyEvents(input), input);
  return runs;
}

/** Write a batch of {name, what, extra, input}; returns the failures' messages. */
async function writeBatch(batch) {
  const runs = batch.map((f) => runsFor(f.input));
  const results = await neutronBatch(runs.flat(), batch.map((f) => f.name).join(', '));
  const failures = [];
  let k = 0;
  for (const [i, f] of batch.entries()) {
    const [initial, final = null, replay] = results.slice(k, (k += runs[i].length));
    const bad = [initial, final, replay].find((r) => r && 'exit' in r);
    if (bad) {
      failures.push(`${f.what}: exit ${bad.exit}: ${bad.error}`);
      continue;
    }
    write(f.name, { ...f.extra, input: f.input, initial, final });
  }
  return failures;
}

function write(name, fixture) {
  fs.writeFileSync(path.join(args.out, name), JSON.stringify(fixture, null, 1) + '\n');
}

fs.mkdirSync(args.out, { recursive: true });
const started = Date.now();
const fixtures = [];
const width = Math.max(3, String(args.count - 1).length);

for (let i = 0; i < args.count; i++) {
  if (args.only && !args.only.includes(i)) continue;
  const seed = args.seed + i;
  const name = `random-${String(i).padStart(width, '0')}.json`;
  const input = withDriver(generateTopology(seed), DRIVER);
  fixtures.push({ name, what: `${name} (seed ${seed})`, extra: { seed }, input });
}

if (args.samples) {
  const samples = fs
    .readdirSync(goldenDir)
    .filter((f) => f.startsWith('sample-') && f.endsWith('.json'))
    .sort();
  for (const f of samples) {
    const { sample, input } = JSON.parse(fs.readFileSync(path.join(goldenDir, f), 'utf8'));
    fixtures.push({ name: f, what: `sample ${sample}`, extra: { seed: null, sample }, input: withDriver(input, DRIVER) });
  }
}

let done = 0;
const tasks = [];
for (let i = 0; i < fixtures.length; i += BATCH) {
  const batch = fixtures.slice(i, i + BATCH);
  tasks.push(async () => {
    const failures = await writeBatch(batch);
    done += batch.length;
    console.error(`${done}/${fixtures.length}`);
    return failures;
  });
}

const failures = await pool(tasks, args.jobs, HarnessError);
fs.rmSync(tmp, { recursive: true, force: true });
if (failures.length) {
  console.error(`${failures.length} failures; no fixture written for them`);
  process.exit(1);
}
const secs = ((Date.now() - started) / 1000).toFixed(0);
console.error(`wrote ${fixtures.length} fixtures to ${path.relative(process.cwd(), args.out) || args.out} in ${secs} s`);
