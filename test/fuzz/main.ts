/**
 * The differential fuzzer on demand: a fresh real neutron-server and a fresh
 * `portsec serve`, the same seeded requests to both, the figures printed.
 *
 *   npm run fuzz [-- --seed N --calls N --top N --dump FILE]   (or PORTSEC_SEED, PORTSEC_FUZZ_CALLS)
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startNeutronServer } from '../support/neutron-server.js';
import { startServer } from '../support/server.js';
import { fuzz, report } from './run.js';

const { values } = parseArgs({ options: { seed: { type: 'string' }, calls: { type: 'string' }, top: { type: 'string' }, dump: { type: 'string' } } });
const seed = Number(values.seed ?? process.env.PORTSEC_SEED ?? Math.floor(Math.random() * 2 ** 31));
const calls = Number(values.calls ?? process.env.PORTSEC_FUZZ_CALLS ?? 1000);
console.log(`fuzz: seed ${seed} (PORTSEC_SEED=${seed} repeats this run), ${calls} calls`);
const [neutron, portsec] = await Promise.all([startNeutronServer(), startServer(['--auth', 'trusted-headers', '--allocation-seed', '1'], undefined,
  // this file runs from dist/test/fuzz: the CLI built beside it
  resolve(import.meta.dirname, '../../src/cli/main.js'))]);
try {
  const figures = await fuzz(neutron.url, portsec.url, seed, calls, (n) => process.stderr.write(`  ${n} calls\n`));
  console.log(report(figures, Number(values.top ?? 60)));
  if (values.dump) writeFileSync(values.dump, JSON.stringify(figures.transcripts));
} finally {
  await Promise.all([neutron.stop(), portsec.stop()]);
}
