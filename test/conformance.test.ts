/**
 * Conformance with the real neutron-server: the 207-call scenario replayed
 * against portsec and scored against the real server's transcript.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type RunningServer, SHARED, startServer, SYSTEM_PYTHON } from './support/server.js';

let server: RunningServer;
// A fixed allocation seed: Neutron picks fixed IPs at random, and the scenario's
// normaliser cannot tell a random address from one it uses literally.
beforeAll(async () => { server = await startServer(['--auth', 'trusted-headers', '--allocation-seed', '1']); });
afterAll(async () => { await server?.stop(); });

test('scenario.py against portsec scores at least 203/207 status+error and 195/207 body', () => {
  const peer = join(SHARED, 'neutron-peer');
  const out = join(mkdtempSync(join(tmpdir(), 'portsec-conf-')), 'portsec.json');
  execFileSync(SYSTEM_PYTHON, [join(peer, 'scenario.py'), '--url', server.url, '--suffix', 'run1', '--out', out], { stdio: 'ignore' });
  const report = JSON.parse(execFileSync(SYSTEM_PYTHON, [join(peer, 'compare.py'), join(peer, 'transcript.json'), out, '--json'], { encoding: 'utf8' }).split('\nconformance:')[0]);
  process.stdout.write(`${report.summary}\n${report.diffs.map((d: { n: number; step: string; why: string }) => `  #${d.n} ${d.why}: ${d.step}`).join('\n')}\n`);
  expect(report.calls).toBe(207);
  expect(report.error).toBeGreaterThanOrEqual(203);
  expect(report.body).toBeGreaterThanOrEqual(195);
});
