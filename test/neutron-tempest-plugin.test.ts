/**
 * Debian's neutron-tempest-plugin 2.0.0 against portsec with Keystone: its API tests for
 * security groups (positive, negative, admin), address groups, port security and ports,
 * the 97 ids of test/neutron-tempest-plugin/selection.txt, run by tempest as
 * test/tempest.test.ts runs tempest's own. Every selected test must pass but those named
 * below, each with its reason: work under way elsewhere, or out of scope (README).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type RunningServer, startServer } from './support/server.js';
import { idFor } from '../src/api/identity.js';
import { ACCOUNTS, type TempestAccount, accountsYaml, runTempest, selectedTests } from './tempest/runner.js';

const SELECTION = join(import.meta.dirname, 'neutron-tempest-plugin/selection.txt');

/** Every extension the selected tests ask for but DNS integration, out of scope (README); those pending are in EXCLUDED. */
const EXTENSIONS = ['security-group', 'allowed-address-pairs', 'port-security', 'standard-attr-description', 'standard-attr-timestamp',
  'standard-attr-revisions', 'project-id', 'binding', 'ip-substring-filtering', 'stateful-security-group', 'sorting', 'pagination',
  'standard-attr-tag', 'tag-ports-during-bulk-creation', 'address-group', 'security-groups-remote-address-group',
  'rbac-security-groups', 'rbac-address-group', 'quotas'];

/**
 * The admin tests' credentials (tempest picks the account with the admin role); every account
 * with the project id portsec's Keystone gives it: a test creates rules in the admin's project
 * by id, and the quota tests set the member's project's quotas by id (else /quotas/None).
 */
const ADMIN_PROJECT = 'tempest-admin-project';
const ACCOUNTS_WITH_ADMIN: TempestAccount[] = [...ACCOUNTS.map((a) => ({ ...a, project_id: idFor('project', a.project_name) })),
  { username: 'tempest-admin', password: 'secret', project_name: ADMIN_PROJECT, project_id: idFor('project', ADMIN_PROJECT), roles: ['admin'] }];

const P = 'neutron_tempest_plugin.api.';
const RBAC = 'not served yet: RBAC for address groups (object type address_group; security groups are served)';
const DNS = 'out of scope: DNS integration (README)';
/** Full test ids (without their [id-…] attributes), by class → why they are not expected to pass here. */
const EXCLUDED_BY_CLASS: [cls: string, tests: string[], why: string][] = [
  ['test_address_groups.RbacSharedAddressGroupTest', [
    'test_filter_fields', 'test_filter_rbac_policies', 'test_policy_target_update', 'test_rbac_policy_show',
    'test_regular_client_blocked_from_sharing_anothers_policy', 'test_regular_client_blocked_from_updating_shared_address_group',
    'test_regular_client_shares_to_another_regular_client', 'test_secgrprule_presence_prevents_policy_rbac_policy_deletion',
  ], RBAC],
  ['test_ports.PortsTestJSON', [
    'test_create_update_port_with_dns_domain', 'test_create_update_port_with_dns_name', 'test_create_update_port_with_no_dns_name',
  ], DNS],
];
const EXCLUDED: Record<string, string> = Object.fromEntries(
  EXCLUDED_BY_CLASS.flatMap(([cls, tests, why]) => tests.map((t) => [`${P}${cls}.${t}`, why])));

const bareId = (id: string) => id.replace(/\[.*$/, '');

let server: RunningServer;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portsec-ntp-'));
  writeFileSync(join(dir, 'accounts.yaml'), accountsYaml(ACCOUNTS_WITH_ADMIN));
  server = await startServer(['--auth', 'keystone', '--accounts', join(dir, 'accounts.yaml')], dir);
});
afterAll(async () => { await server?.stop(); });

test('neutron-tempest-plugin: every selected test passes but the named exclusions', async () => {
  const all = selectedTests(SELECTION);
  expect(all).toHaveLength(97);
  // an exclusion names a selected test exactly: a stale name fails here
  expect(Object.keys(EXCLUDED).filter((e) => !all.some((id) => bareId(id) === e))).toEqual([]);
  const run = all.filter((id) => !(bareId(id) in EXCLUDED));
  const work = mkdtempSync(join(tmpdir(), 'portsec-ntp-selection-'));
  const selection = join(work, 'selection.txt');
  writeFileSync(selection, `${run.join('\n')}\n`);
  const r = await runTempest({ url: server.url, extensions: EXTENSIONS, selection, accounts: ACCOUNTS_WITH_ADMIN });
  process.stdout.write(`${Object.entries(EXCLUDED).map(([id, why]) => `excluded ${id}: ${why}`).join('\n')}\n`
    + `${r.output.split('\n').filter((l) => /^\{\d+\} .*(FAILED|SKIPPED)|^Ran:|^ - /.test(l)).join('\n')}\n`
    + `neutron-tempest-plugin: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped, ${all.length - run.length} excluded; work dir ${r.work}\n`);
  expect({ ran: r.ran, passed: r.passed, skipped: r.skipped, failed: r.failed }).toEqual({ ran: run.length, passed: run.length, skipped: 0, failed: 0 });
  rmSync(work, { recursive: true, force: true });
  rmSync(r.work, { recursive: true, force: true }); // kept when a figure is off, for its logs
}, 1_800_000);
