/**
 * Records the conformance transcript from the real neutron-server (Debian's
 * python3-neutron, started fresh by test/support/neutron-server.ts), and says how
 * the new recording compares with the one it replaces.
 *
 *   npm run conformance:record [-- OUT]   (default test/fixtures/conformance/transcript.json)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { startNeutronServer } from '../support/neutron-server.js';
import { runScenario } from './scenario.js';
import { score, summary } from './score.js';
import { type Transcript } from './session.js';

const SERVER = 'neutron-server 21 (Zed, Debian python3-neutron), ML2 openvswitch + port_security, trusted headers';

const out = resolve(process.argv[2] ?? 'test/fixtures/conformance/transcript.json');
const neutron = await startNeutronServer();
let transcript: Transcript;
try {
  transcript = await runScenario(neutron.url, SERVER);
} finally {
  await neutron.stop();
}
if (existsSync(out)) {
  const before = JSON.parse(readFileSync(out, 'utf8')) as Transcript;
  const s = score(before.calls, transcript.calls);
  console.log(`against the recording it replaces: ${summary(s)}`);
  for (const d of s.diffs) console.log(`  #${d.n} ${d.why}: ${d.step} (${d.call}): ${d.reference} -> ${d.candidate}`);
}
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(transcript, null, 1)}\n`);
console.log(`wrote ${out}: ${transcript.calls.length} calls`);
