/**
 * tempest 33's network API tests for security groups, allowed address pairs and
 * ports against portsec with Keystone: the 81 tests of test/tempest/selection.txt
 * (the four modules but the router-dependent test_port_list_filter_by_router_id).
 * ip-substring-filtering is implemented, so its two tests run too.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type RunningServer, startServer } from './support/server.js';
import { accountsYaml, runTempest, selectedTests } from './tempest/runner.js';

const EXTENSIONS = ['security-group', 'allowed-address-pairs', 'port-security', 'standard-attr-description', 'standard-attr-timestamp',
  'standard-attr-revisions', 'project-id', 'binding', 'ip-substring-filtering'];

let server: RunningServer;
beforeAll(async () => {
  // tempest's accounts are the server's users; the server's stop removes the dir
  const dir = mkdtempSync(join(tmpdir(), 'portsec-tempest-'));
  writeFileSync(join(dir, 'accounts.yaml'), accountsYaml());
  server = await startServer(['--auth', 'keystone', '--accounts', join(dir, 'accounts.yaml')], dir);
});
afterAll(async () => { await server?.stop(); });

test('tempest: all 81 selected tests pass', async () => {
  expect(selectedTests()).toHaveLength(81);
  const r = await runTempest({ url: server.url, extensions: EXTENSIONS });
  process.stdout.write(`${r.output.split('\n').filter((l) => /^\{\d+\} .*(FAILED|SKIPPED)|^Ran:|^ - /.test(l)).join('\n')}\n`
    + `tempest work dir ${r.work}\n`);
  expect({ ran: r.ran, passed: r.passed, skipped: r.skipped, failed: r.failed }).toEqual({ ran: 81, passed: 81, skipped: 0, failed: 0 });
  rmSync(r.work, { recursive: true, force: true }); // kept when a figure is off, for its logs
}, 1_200_000);
