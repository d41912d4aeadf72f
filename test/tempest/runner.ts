/**
 * Runs Debian's tempest 33 against a portsec server that serves Keystone v3 at
 * URL/identity/v3 and Neutron at URL/: a workspace in a temp dir, pre-provisioned
 * accounts (tempest then creates no users or projects and needs no admin), and the
 * committed selection.txt, run one test at a time. The counts come from tempest's
 * own "Totals" summary.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The committed selection: tempest test ids, one a line, as `tempest run --list-tests` prints them. */
export const SELECTION = join(import.meta.dirname, 'selection.txt');
export const selectedTests = (file = SELECTION): string[] => readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');

/** `project_id`: for tests that read their client's project id (preprovisioned credentials carry only what the file says) */
export interface TempestAccount { username: string; password: string; project_name: string; project_id?: string; roles?: string[] }
/** Two accounts: the negative tests act as a second project. */
export const ACCOUNTS: TempestAccount[] = ['1', '2'].map((n) => ({ username: `tempest-user-${n}`, password: 'secret', project_name: `tempest-project-${n}` }));

/** tempest's accounts.yaml, which portsec's `--accounts` reads too (it ignores the domain keys). */
export const accountsYaml = (accounts: readonly TempestAccount[] = ACCOUNTS): string => accounts.map((a) => [
  `- username: '${a.username}'`,
  `  project_name: '${a.project_name}'`,
  ...(a.project_id ? [`  project_id: '${a.project_id}'`] : []),
  `  password: '${a.password}'`,
  `  user_domain_name: 'Default'`,
  `  project_domain_name: 'Default'`,
  ...(a.roles ? [`  roles: [${a.roles.map((r) => `'${r}'`).join(', ')}]`] : []),
].join('\n')).join('\n') + '\n';

/** `admin`: the account tempest's dynamic credentials (classes that force project isolation) act as */
export function tempestConf(o: { ws: string; url: string; extensions: readonly string[]; admin?: TempestAccount }): string {
  const admin = o.admin ? `admin_username = ${o.admin.username}
admin_password = ${o.admin.password}
admin_project_name = ${o.admin.project_name}
admin_domain_name = Default
` : '';
  return `[DEFAULT]
# in the workspace, tempest's working directory: one line per request and response
log_file = tempest.log

[auth]
use_dynamic_credentials = false
test_accounts_file = ${o.ws}/etc/accounts.yaml
default_credentials_domain_name = Default
create_isolated_networks = false
${admin}
[identity]
auth_version = v3
uri_v3 = ${o.url}/identity/v3
region = RegionOne
v3_endpoint_type = public

[identity-feature-enabled]
api_v2 = false
api_v3 = true

[network]
catalog_type = network
endpoint_type = publicURL
region = RegionOne
# tempest cuts subnets from these; an overlap answer (400) makes it try the next one
project_network_cidr = 10.100.0.0/16
project_network_mask_bits = 28
project_network_v6_cidr = 2001:db8::/48
project_network_v6_mask_bits = 64
project_networks_reachable = false
public_network_id =
build_timeout = 10
build_interval = 1

[network-feature-enabled]
ipv6 = true
api_extensions = ${o.extensions.join(',')}
ipv6_subnet_attributes = false
port_security = true

[service_available]
neutron = true
nova = false
glance = false
cinder = false
swift = false
horizon = false

[validation]
run_validation = false

[oslo_concurrency]
lock_path = ${o.ws}/tempest_lock
`;
}

export interface TempestCounts { ran: number; passed: number; skipped: number; failed: number }

/** The "Totals" block `tempest run` ends with; NaN for a figure it did not print (a run that never got that far). */
export function parseTotals(output: string): TempestCounts {
  const figure = (label: string) => Number(new RegExp(`^(?: - )?${label}: (\\d+)`, 'm').exec(output)?.[1] ?? NaN);
  return { ran: figure('Ran'), passed: figure('Passed'), skipped: figure('Skipped'), failed: figure('Failed') };
}

export interface TempestRun extends TempestCounts { output: string; work: string }

/** `selection`: a file of test ids (default: tempest's own); `accounts`: tempest's pre-provisioned credentials. */
export async function runTempest(o: { url: string; extensions: readonly string[]; selection?: string; accounts?: readonly TempestAccount[] }): Promise<TempestRun> {
  const work = mkdtempSync(join(tmpdir(), 'portsec-tempest-run-'));
  const ws = join(work, 'ws');
  // --workspace-path keeps tempest away from ~/.tempest
  await run('tempest', ['init', '--workspace-path', join(work, 'workspace.yaml'), '--name', 'portsec', ws]);
  writeFileSync(join(ws, 'etc/accounts.yaml'), accountsYaml(o.accounts));
  const conf = join(ws, 'etc/tempest.conf');
  const admin = o.accounts?.find((a) => a.roles?.includes('admin'));
  writeFileSync(conf, tempestConf({ ws, url: o.url, extensions: o.extensions, admin }));
  // serial: each concurrent worker would hold one pre-provisioned account per class
  const args = ['run', '--config-file', conf, '--serial', '--load-list', o.selection ?? SELECTION];
  // tempest exits non-zero when a test fails: the output is still the result
  const { stdout, stderr } = await run('tempest', args, { cwd: ws, maxBuffer: 64 * 1024 * 1024, timeout: 900_000 })
    .catch((e: { stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? '', stderr: e.stderr ?? '' }));
  const output = `${stdout}${stderr}`;
  writeFileSync(join(work, 'tempest-run.log'), output);
  return { ...parseTotals(output), output, work };
}
