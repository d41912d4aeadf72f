/**
 * Conformance with the real neutron-server: the project's scenario
 * (test/conformance/scenario.ts) replayed against portsec and scored call by call
 * against the transcript recorded from Neutron 21 (`npm run conformance:record`,
 * test/fixtures/conformance/transcript.json).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runScenario } from './conformance/scenario.js';
import { type Diff, score, summary } from './conformance/score.js';
import { type Transcript } from './conformance/session.js';
import { ROOT, type RunningServer, startServer } from './support/server.js';

/**
 * Every call portsec answers differently (by its step): what differs and why. Each is
 * a deliberate difference (README, "Deliberate differences from Zed") or a known gap.
 * The test fails on any other difference, and on any of these that goes away.
 */
const EXPECTED_DIFFS: Record<string, [Diff['why'], string]> = {
};

let server: RunningServer;
// A fixed allocation seed: the transcript names the addresses a server picks, but a
// replay must make the same calls, and some calls use an address portsec picked.
beforeAll(async () => { server = await startServer(['--auth', 'trusted-headers', '--allocation-seed', '1']); });
afterAll(async () => { await server?.stop(); });

test('the conformance scenario against portsec, scored against the real neutron-server\'s transcript', async () => {
  const reference = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/conformance/transcript.json'), 'utf8')) as Transcript;
  const ours = await runScenario(server.url, 'portsec');
  const result = score(reference.calls, ours.calls);
  process.stdout.write(`${summary(result)}\n${result.diffs.map((d) => `  #${d.n} ${d.why}: ${d.step} (${d.call}): neutron ${d.reference}, portsec ${d.candidate}`).join('\n')}\n`);
  expect(ours.calls.length).toBe(reference.calls.length);
  expect(Object.fromEntries(result.diffs.map((d) => [d.step, d.why]))).toEqual(
    Object.fromEntries(Object.entries(EXPECTED_DIFFS).map(([step, [why]]) => [step, why])));
  // the figures that follow from the list
  const missed = (whys: Diff['why'][]) => Object.values(EXPECTED_DIFFS).filter(([why]) => whys.includes(why)).length;
  expect(result.status).toBe(result.calls - missed(['status']));
  expect(result.error).toBe(result.calls - missed(['status', 'error type']));
  expect(result.body).toBe(result.calls - Object.keys(EXPECTED_DIFFS).length);
}, 300_000);
