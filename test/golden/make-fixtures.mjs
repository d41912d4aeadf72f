#!/usr/bin/env node
// Writes test/fixtures/golden/{random-NNN,sample-<name>}.json from REAL
// Neutron (golden.py, ../shared/neutron-golden).
//
//   node test/golden/make-fixtures.mjs [--count 200] [--seed 1] [--jobs 2]
//                                      [--no-samples] [--only I,J,...] [--golden DIR]
//
// --only regenerates just those random fixture indexes (seed = --seed + index).
//
// For every topology: `initial` = golden on the input without its events;
// `final` = golden on the end topology (events applied to the input, then a
// fresh sync), or null when there are no events. golden's own event replay
// is deliberately not used (it reproduces a Neutron stale-ipset quirk).

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyEvents, generateTopology, withoutEvents } from './topology-generator.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.resolve(here, '../fixtures/golden');

function parseArgs(argv) {
  const a = { count: 200, seed: 1, jobs: 2, samples: true, golden: path.join(process.env.PORTSEC_SHARED ?? path.resolve(here, '../../../shared'), 'neutron-golden'), python: '/usr/bin/python3' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
      return argv[++i];
    };
    if (k === '--count') a.count = Number(v());
    else if (k === '--seed') a.seed = Number(v());
    else if (k === '--jobs') a.jobs = Math.max(1, Math.min(2, Number(v())));
    else if (k === '--no-samples') a.samples = false;
    else if (k === '--only') a.only = v().split(',').map(Number);
    else if (k === '--golden') a.golden = v();
    else if (k === '--python') a.python = v();
    else throw new Error(`unknown argument ${k}`);
  }
  if (!Number.isInteger(a.count) || a.count < 0) throw new Error('--count must be an integer >= 0');
  if (!Number.isInteger(a.seed)) throw new Error('--seed must be an integer');
  return a;
}

const args = parseArgs(process.argv.slice(2));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portsec-golden-'));
let tmpN = 0;

class GoldenError extends Error {}

/** Run golden.py on `input`; resolves to {ipset_restore, iptables_save}. */
function golden(input, what) {
  const file = path.join(tmp, `in-${tmpN++}.json`);
  fs.writeFileSync(file, JSON.stringify(input));
  return new Promise((resolve, reject) => {
    execFile(
      args.python,
      [path.join(args.golden, 'golden.py'), file, '--format', 'json'],
      { maxBuffer: 1 << 30, encoding: 'utf8' },
      (err, stdout, stderr) => {
        fs.rmSync(file, { force: true });
        if (err) {
          reject(new GoldenError(`${what}: golden.py exit ${err.code}\n${stderr.trim()}`));
          return;
        }
        let out;
        try {
          out = JSON.parse(stdout);
        } catch (e) {
          reject(new GoldenError(`${what}: unparsable golden output: ${e}`));
          return;
        }
        const problems = [];
        // errors Neutron tolerates (e.g. `ipset del` of a missing member) are fine
        const errors = (out.emulator_errors ?? []).filter((e) => !e.ignored);
        if (errors.length) problems.push(`emulator_errors: ${JSON.stringify(errors)}`);
        if (out.meta?.input_warnings?.length) problems.push(`input_warnings: ${JSON.stringify(out.meta.input_warnings)}`);
        if (problems.length) {
          reject(new GoldenError(`${what}: ${problems.join('; ')}`));
          return;
        }
        resolve({
          result: { ipset_restore: out.ipset_restore, iptables_save: out.iptables_save },
          steps: out.steps?.length ?? 0,
        });
      },
    );
  });
}

/** {seed, input, initial, final} for one topology (input may have events). */
async function fixtureFor(input, what, extra) {
  const initial = (await golden(withoutEvents(input), `${what} initial`)).result;
  let final = null;
  if (input.events?.length) {
    final = (await golden(applyEvents(input), `${what} final`)).result;
    // the events themselves must be accepted too (the stored input keeps them)
    await golden(input, `${what} with events`);
  }
  return { ...extra, input, initial, final };
}

function write(name, fixture) {
  fs.writeFileSync(path.join(outDir, name), JSON.stringify(fixture, null, 1) + '\n');
}

/** run `tasks` (functions returning promises) with at most `n` at a time */
async function pool(tasks, n) {
  const failures = [];
  let next = 0;
  async function worker() {
    while (next < tasks.length) {
      const t = tasks[next++];
      try {
        await t();
      } catch (e) {
        if (!(e instanceof GoldenError)) throw e;
        failures.push(e.message);
        console.error(`FAIL ${e.message}`);
      }
    }
  }
  await Promise.all(Array.from({ length: n }, worker));
  return failures;
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
  const dir = path.join(args.golden, 'samples');
  const samples = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.out.json'))
    .sort();
  for (const f of samples) {
    const base = f.slice(0, -'.json'.length);
    total++;
    tasks.push(async () => {
      const input = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      write(`sample-${base}.json`, await fixtureFor(input, `sample ${base}`, { seed: null, sample: base }));
    });
  }
}

const failures = await pool(tasks, args.jobs);
fs.rmSync(tmp, { recursive: true, force: true });
if (failures.length) {
  console.error(`${failures.length} topologies failed; no fixture written for them`);
  process.exit(1);
}
console.error(`wrote ${tasks.length} fixtures to ${path.relative(process.cwd(), outDir) || outDir}`);
