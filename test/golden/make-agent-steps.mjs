#!/usr/bin/env node
// Writes test/fixtures/agent-steps/ from REAL Neutron: neutron_driver.py --steps
// runs Neutron 21's agent and iptables firewall driver offline and prints the
// node's state after the initial sync and after each event's agent loop.
//
//   node test/golden/make-agent-steps.mjs [--count 120] [--seed 1] [--jobs 1|2] [--only I,J] [--samples-only] [--out DIR]
//
// --only regenerates just those random fixtures; --samples-only just the samples.
//
// Each fixture holds its states packed (steps-format.mjs: distinct lines once, states as indexes).
// * random-NNN.json: {seed, input: generateSequence(seed), steps} (agent-steps-generator.mjs)
// * sample-<name>.json: {sample, input, steps}; the input is read from the stored file
//   (hand-written minimal nodes, one per quirk of the agent's state)
// * golden-<fixture>.json: {golden, steps} for every golden fixture with events, whose
//   input stays in test/fixtures/golden/<fixture> (that file is not touched)
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSequence } from './agent-steps-generator.mjs';
import { fixtureText } from './steps-format.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const stepsDir = path.resolve(here, '../fixtures/agent-steps');
const goldenDir = path.resolve(here, '../fixtures/golden');
const driver = path.join(here, 'neutron_driver.py');

const a = { count: 120, seed: 1, jobs: 1, out: stepsDir };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const v = () => argv[++i] ?? (() => { throw new Error(`${argv[i - 1]} needs a value`); })();
  if (argv[i] === '--count') a.count = Number(v());
  else if (argv[i] === '--seed') a.seed = Number(v());
  else if (argv[i] === '--jobs') a.jobs = Math.max(1, Math.min(2, Number(v())));
  else if (argv[i] === '--only') a.only = v().split(',').map(Number);
  else if (argv[i] === '--samples-only') a.samplesOnly = true;
  else if (argv[i] === '--out') a.out = path.resolve(v());
  else throw new Error(`unknown argument ${argv[i]}`);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portsec-agent-steps-'));
let n = 0;

/** neutron_driver.py --steps on `input`: resolves to the list of states */
function steps(input, what) {
  const file = path.join(tmp, `in-${n++}.json`);
  fs.writeFileSync(file, JSON.stringify(input));
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', [driver, '--steps', file], { maxBuffer: 1 << 30, encoding: 'utf8' }, (err, stdout, stderr) => {
      fs.rmSync(file, { force: true });
      if (err) reject(new Error(`${what}: neutron_driver.py exit ${err.code}\n${stderr.trim()}`));
      else resolve(JSON.parse(stdout).steps);
    });
  });
}

const write = (name, { steps: states, ...head }) => fs.writeFileSync(path.join(a.out, name), fixtureText(head, states));
const tasks = [];
const width = Math.max(3, String(a.count - 1).length);
for (let i = 0; i < a.count; i++) {
  if (a.samplesOnly || (a.only && !a.only.includes(i))) continue;
  const seed = a.seed + i;
  const name = `random-${String(i).padStart(width, '0')}.json`;
  tasks.push(async () => {
    const input = generateSequence(seed);
    write(name, { seed, input, steps: await steps(input, `${name} (seed ${seed})`) });
  });
}
if (!a.only) {
  for (const f of fs.readdirSync(stepsDir).filter((f) => f.startsWith('sample-')).sort()) {
    const { sample, input } = JSON.parse(fs.readFileSync(path.join(stepsDir, f), 'utf8'));
    // (a new sample's file needs only {sample, input})
    tasks.push(async () => write(f, { sample, input, steps: await steps(input, f) }));
  }
  for (const f of a.samplesOnly ? [] : fs.readdirSync(goldenDir).filter((f) => f.endsWith('.json')).sort()) {
    const { input } = JSON.parse(fs.readFileSync(path.join(goldenDir, f), 'utf8'));
    if (input.events?.length) tasks.push(async () => write(`golden-${f}`, { golden: f, steps: await steps(input, `golden ${f}`) }));
  }
}

fs.mkdirSync(a.out, { recursive: true });
const started = Date.now();
const failures = [];
let next = 0;
let done = 0;
await Promise.all(Array.from({ length: a.jobs }, async () => {
  while (next < tasks.length) {
    const t = tasks[next++];
    try {
      await t();
    } catch (e) {
      failures.push(e.message);
      console.error(`FAIL ${e.message}`);
    }
    if (++done % 20 === 0) console.error(`${done}/${tasks.length}`);
  }
}));
fs.rmSync(tmp, { recursive: true, force: true });
console.error(`${tasks.length - failures.length} fixtures written to ${path.relative(process.cwd(), a.out) || a.out} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
if (failures.length) process.exit(1);
