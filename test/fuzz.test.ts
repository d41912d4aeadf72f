/**
 * The differential fuzzer in CI (test/fuzz/): a fixed seed's requests sent to a fresh
 * real neutron-server and a fresh `portsec serve`, compared call by call. The seed and
 * the figures are printed; `npm run fuzz -- --seed N --calls N` repeats any run.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fuzz, report } from './fuzz/run.js';
import { type NeutronServer, startNeutronServer } from './support/neutron-server.js';
import { type RunningServer, startServer } from './support/server.js';

const SEED = Number(process.env.PORTSEC_SEED ?? 20261207);
const CALLS = Number(process.env.PORTSEC_FUZZ_CALLS ?? 5000);
/**
 * What holds today with the CI seed (the share of calls, in %): the floor each figure
 * may not fall below. Measured 98.92 / 98.62 / 93.88 on the fuzzer's branch and 97.50 /
 * 97.36 / 91.62 on the merged tree on a loaded machine; runs differ, as Neutron picks
 * addresses and MACs at random and Zed answers some network deletes with a 500 whose
 * knock-on (the network lives on there) changes later answers. The goal is 100 / 100 / 99.
 */
const FLOOR = { status: 96.5, error: 96.5, body: 90 };

let neutron: NeutronServer;
let portsec: RunningServer;
beforeAll(async () => {
  [neutron, portsec] = await Promise.all([startNeutronServer(), startServer(['--auth', 'trusted-headers', '--allocation-seed', '1'])]);
}, 180_000);
afterAll(async () => { await Promise.all([neutron?.stop(), portsec?.stop()]); });

test(`the differential fuzzer, seed ${SEED}, ${CALLS} calls: portsec answers as the real neutron-server`, async () => {
  const f = await fuzz(neutron.url, portsec.url, SEED, CALLS);
  process.stdout.write(`${report(f)}\n`);
  expect(f.calls).toBe(CALLS);
  expect((100 * f.status) / f.calls).toBeGreaterThanOrEqual(FLOOR.status);
  expect((100 * f.error) / f.calls).toBeGreaterThanOrEqual(FLOOR.error);
  expect((100 * f.body) / f.calls).toBeGreaterThanOrEqual(FLOOR.body);
}, 3_600_000);
