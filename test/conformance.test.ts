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
  'extensions': ['body', 'deliberate: only the extensions portsec implements are advertised'],
  'update a rule\'s description': ['status', 'deliberate: PUT on a rule answers 500 on Zed (ML2 lacks update_security_group_rule), 200 in portsec'],
  'show web': ['body', 'follows from the PUT above: the rule\'s new description and revision'],
  'an extension that is not loaded': ['error type', 'gap: Neutron answers with webob\'s own 404 body ({message, code, title}), portsec with a NeutronError HTTPNotFound'],
  'groups named ssh, sorted by description (not a sort key)': ['status', 'gap: Neutron does not sort security groups by description (400); portsec does'],
  'a port on a subnet nobody has': ['status', 'gap: Neutron 404 SubnetNotFound, portsec 400 InvalidInput'],
  'port1\'s revision now': ['body', 'gap: an empty update ({"port": {}}) bumps the revision in Neutron (after it answered); portsec leaves it'],
  'rbac: B\'s port takes it again': ['body', 'gap: groups given again to a port whose update emptied them bump its revision once in Neutron; portsec bumps it twice, as for a port made without groups'],
};

let server: RunningServer;
// a fixed allocation seed keeps portsec's own address picks the same from run to run
// (the transcripts name them either way)
beforeAll(async () => { server = await startServer(['--auth', 'trusted-headers', '--allocation-seed', '1']); });
afterAll(async () => { await server?.stop(); });

test('the conformance scenario against portsec, scored against the real neutron-server\'s transcript', async () => {
  const reference = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/conformance/transcript.json'), 'utf8')) as Transcript;
  const ours = await runScenario(server.url, 'portsec');
  const result = score(reference.calls, ours.calls);
  process.stdout.write(`${summary(result)}\n${result.diffs.map((d) => `  #${d.n} ${d.why}: ${d.step} (${d.call}): neutron ${d.reference}, portsec ${d.candidate}\n    ${EXPECTED_DIFFS[d.step]?.[1] ?? 'UNEXPECTED'}`).join('\n')}\n`);
  expect(ours.calls.length).toBe(reference.calls.length);
  expect(new Set(reference.calls.map((c) => c.step)).size).toBe(reference.calls.length);
  expect(Object.fromEntries(result.diffs.map((d) => [d.step, d.why]))).toEqual(
    Object.fromEntries(Object.entries(EXPECTED_DIFFS).map(([step, [why]]) => [step, why])));
  // the figures that follow from the list
  const missed = (whys: Diff['why'][]) => Object.values(EXPECTED_DIFFS).filter(([why]) => whys.includes(why)).length;
  expect(result.status).toBe(result.calls - missed(['status']));
  expect(result.error).toBe(result.calls - missed(['status', 'error type']));
  expect(result.body).toBe(result.calls - Object.keys(EXPECTED_DIFFS).length);
}, 300_000);
