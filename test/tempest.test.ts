/**
 * tempest 33's network API tests for security groups, allowed address pairs
 * and ports (../shared/tempest/run-tempest.sh) against portsec with Keystone.
 * ip-substring-filtering is implemented, so its two tests run too.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type RunningServer, SHARED, startServer } from './support/server.js';

const EXTENSIONS = 'security-group,allowed-address-pairs,port-security,standard-attr-description,standard-attr-timestamp,'
  + 'standard-attr-revisions,project-id,binding,ip-substring-filtering';

let server: RunningServer;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portsec-tempest-'));
  const accounts = join(dir, 'accounts.yaml');
  writeFileSync(accounts, ['1', '2'].map((n) => `- username: tempest-user-${n}\n  password: secret\n  project_name: tempest-project-${n}\n`).join(''));
  server = await startServer(['--auth', 'keystone', '--accounts', accounts]);
});
afterAll(async () => { await server?.stop(); });

test('tempest: all 81 selected tests pass', async () => {
  const work = mkdtempSync(join(tmpdir(), 'portsec-tempest-run-'));
  const { stdout } = await promisify(execFile)(join(SHARED, 'tempest/run-tempest.sh'), [work], {
    env: { ...process.env, TARGET_URL: server.url, EXTENSIONS }, maxBuffer: 16 * 1024 * 1024,
  }).catch((e) => e);
  process.stdout.write(stdout);
  const count = (what: string) => Number(new RegExp(`- ${what}: (\\d+)`).exec(stdout)?.[1] ?? NaN);
  expect(count('Failed')).toBe(0);
  expect(count('Passed')).toBe(81);
}, 1_200_000);
