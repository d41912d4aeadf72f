/**
 * `portsec demo` as CI runs it: the seed's four scenarios (anti-spoofing with
 * the seed's neutron commands, keepalived VIP failover and how it breaks, the
 * NAT server, the pitfall and its fix) pass with real packets, and nothing of
 * them is left behind.
 */
import { spawnSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { run } from '../src/dataplane/exec.js';
import { CLI } from './support/server.js';

test('portsec demo passes every scenario and cleans up', () => {
  const before = run(['ip', 'netns', 'list']);
  const r = spawnSync(process.execPath, [CLI, 'demo'], { encoding: 'utf8', timeout: 600_000 });
  process.stdout.write(r.stdout);
  expect(r.stdout).toMatch(/^\d+ passed, 0 failed$/m);
  expect(r.stdout).not.toContain('FAIL');
  for (const scenario of ['1. Anti-spoofing', '2. VIP redundancy', '3. NAT server', '4. The pitfall']) expect(r.stdout).toContain(scenario);
  expect(r.status).toBe(0);
  expect(run(['ip', 'netns', 'list'])).toBe(before);
}, 600_000);
