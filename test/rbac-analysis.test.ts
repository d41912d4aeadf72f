/**
 * The analyzer follows RBAC sharing: a project that holds another project's shared
 * group on its port sees that group and all its rules, from the database
 * (--as-project) and from the live API (its member's import) alike, and its port
 * is analysed with the owner's rules.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Snapshot } from '../src/analysis/snapshot.js';
import { fromCloud } from '../src/analysis/sources/openstack.js';
import { readDatabase } from '../src/analysis/sources/store.js';
import { CLI, type RunningServer, startServer } from './support/server.js';

const tmp = mkdtempSync(join(tmpdir(), 'portsec-rbac-'));
/** the environment without OS_* variables, which would name a cloud of their own */
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const byId = <T extends { id: string }>(items: T[]) => [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

describe.sequential('a group shared through RBAC, analysed for the project that uses it', () => {
  let server: RunningServer;
  const tokens: Record<string, string> = {};
  const projects: Record<string, string> = {};
  const auth = (user: string) => ({ authUrl: `${server.url}/v3`, username: user, password: `${user}-pw`, projectName: user });
  let web: string;
  let sshRule: string;

  async function login(user: string): Promise<void> {
    const res = await fetch(`${server.url}/identity/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: user, password: `${user}-pw`, domain: { name: 'Default' } } } }, scope: { project: { name: user, domain: { name: 'Default' } } } } }),
    });
    projects[user] = ((await res.json()) as { token: { project: { id: string } } }).token.project.id;
    tokens[user] = res.headers.get('x-subject-token')!;
  }

  async function ok(user: string, method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(`${server.url}${path}`, { method, headers: { 'X-Auth-Token': tokens[user], 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const json = await res.json();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  beforeAll(async () => {
    const accounts = join(tmp, 'accounts.yaml');
    writeFileSync(accounts, '- username: owner\n  password: owner-pw\n  project_name: owner\n- username: user\n  password: user-pw\n  project_name: user\n');
    server = await startServer(['--auth', 'keystone', '--accounts', accounts, '--admin-password', 'admin-pw']);
    for (const user of ['owner', 'user']) await login(user);
    // the owner's group admits ssh from the user's subnet; it shares the group with the user's project
    web = (await ok('owner', 'POST', '/v2.0/security-groups', { security_group: { name: 'web' } })).security_group.id;
    sshRule = (await ok('owner', 'POST', '/v2.0/security-group-rules', {
      security_group_rule: { security_group_id: web, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.20.0.0/24' },
    })).security_group_rule.id;
    await ok('owner', 'POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'security_group', object_id: web, action: 'access_as_shared', target_tenant: projects.user } });
    // the user's port holds the owner's group
    const net = (await ok('user', 'POST', '/v2.0/networks', { network: { name: 'usernet' } })).network.id;
    await ok('user', 'POST', '/v2.0/subnets', { subnet: { network_id: net, ip_version: 4, cidr: '10.20.0.0/24' } });
    await ok('user', 'POST', '/v2.0/ports', { port: { network_id: net, name: 'app', security_groups: [web] } });
    // and another port (its default group: egress anywhere) to reach it from
    await ok('user', 'POST', '/v2.0/ports', { port: { network_id: net, name: 'client' } });
  });
  afterAll(async () => { await server?.stop(); });

  const rulesOf = (s: Snapshot, group: string) => s.security_group_rules.filter((r) => r.security_group_id === group).map((r) => r.id).sort();

  test('the user\'s view from the database holds the shared group and all its rules, as the admin\'s does', async () => {
    const [user, admin] = [await readDatabase(server.db, projects.user), await readDatabase(server.db)];
    expect(user.security_groups.map((g) => g.name).sort()).toEqual(['default', 'web']);
    expect(rulesOf(user, web)).toContain(sshRule);
    expect(rulesOf(user, web)).toEqual(rulesOf(admin, web));
  });

  test('the user\'s live import equals its database view (the shared group\'s rules read from the group)', async () => {
    const live = await fromCloud({ ...auth('user'), pageSize: 2 });
    const db = await readDatabase(server.db, projects.user);
    for (const key of ['networks', 'subnets', 'ports', 'security_groups', 'security_group_rules'] as const) {
      expect(byId(live[key] as { id: string }[]), key).toEqual(byId(db[key] as { id: string }[]));
    }
    expect(rulesOf(live, web)).toContain(sshRule);
  });

  test('the user\'s port is analysed with the owner\'s rules: ssh from the subnet, nothing else', async () => {
    const run = (port: string) => spawnSync(process.execPath, [CLI, 'can-reach', 'client', 'app', '--protocol', 'tcp', '--port', port,
      '--os-auth-url', `${server.url}/v3`, '--os-username', 'user', '--os-password', 'user-pw', '--os-project-name', 'user'], { encoding: 'utf8', env: ENV });
    const ssh = run('22');
    const http = run('80');
    expect(ssh.stdout.split('\n')[0], ssh.stdout + ssh.stderr).toBe('ALLOW: client -> app tcp/22');
    expect(http.stdout.split('\n')[0], http.stdout + http.stderr).toBe('DENY: client -> app tcp/80');
    // the allowing rule is the owner's, read through the sharing
    expect(ssh.stdout).toContain(sshRule);
  });
});
