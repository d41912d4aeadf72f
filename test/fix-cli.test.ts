/**
 * `portsec fix` end to end, everything real: `portsec serve` with Keystone, the seed's cloud made
 * through the API by the cloud admin for a tenant project (so the fix's `--project` matters), the
 * real `portsec` CLI reading it as a live cloud, the fix script run with bash and Debian's
 * `openstack` CLI, `--apply` through the API, and the cloud audited again after each.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Finding } from '../src/analysis/answers.js';
import { executeFix } from '../src/analysis/fix/execute.js';
import { type FixAction } from '../src/analysis/fix/types.js';
import { openNeutron } from '../src/analysis/sources/openstack.js';
import { parseLab } from '../src/lab/spec.js';
import { CLI, ROOT, type RunningServer, startServer } from './support/server.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'portsec-fix-'));
const accounts = join(dir, 'accounts.yaml');
writeFileSync(accounts, '- username: tenant\n  password: tenant-pw\n  project_name: tenant\n');
const seed = parseLab(readFileSync(join(ROOT, 'labs/seed.yaml'), 'utf8'), 'labs/seed.yaml');
const NAT = 'nat-eth1';
const OWN = `${NAT}-ssh`;

/** A running server holding the seed, with the admin's and the tenant's tokens. */
interface Seeded {
  server: RunningServer;
  tenant: string;
  admin: string;
  tenantToken: string;
  env: NodeJS.ProcessEnv;
  calls: number;
}

async function login(url: string, user: string, password: string, project: string): Promise<{ token: string; project: string }> {
  const res = await fetch(`${url}/identity/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: user, password, domain: { name: 'Default' } } } }, scope: { project: { name: project, domain: { name: 'Default' } } } } }),
  });
  expect(res.status).toBe(201);
  return { token: res.headers.get('x-subject-token')!, project: ((await res.json()) as { token: { project: { id: string } } }).token.project.id };
}

async function call(url: string, token: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}/v2.0/${path}`, { method, headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * labs/seed.yaml made by the admin in the tenant's project; group ssh's egress is limited to
 * tcp/443 (its stock allow-all rules deleted), so a group that takes over its rules must not keep
 * Neutron's stock egress.
 */
async function seeded(): Promise<Seeded> {
  const server = await startServer(['--auth', 'keystone', '--accounts', accounts, '--admin-password', 'admin-pw']);
  const admin = await login(server.url, 'admin', 'admin-pw', 'admin');
  const tenant = await login(server.url, 'tenant', 'tenant-pw', 'tenant');
  let calls = 0;
  const as = (method: string, path: string, body?: unknown) => { calls++; return call(server.url, admin.token, method, path, body); };
  const owned = { project_id: tenant.project };
  // the seed's 6 groups, the default and the groups the fixes below make: more than Neutron's 10 a project
  await as('PUT', `quotas/${tenant.project}`, { quota: { security_group: 20 } });
  const networks = new Map<string, string>();
  for (const n of seed.networks) {
    const { network } = await as('POST', 'networks', { network: { name: n.name, ...owned } });
    await as('POST', 'subnets', { subnet: { network_id: network.id, name: n.name, cidr: n.cidr, ip_version: 4, ...owned } });
    networks.set(n.name, network.id);
  }
  const groups = new Map<string, string>();
  for (const g of seed.groups) groups.set(g.name, (await as('POST', 'security-groups', { security_group: { name: g.name, ...owned } })).security_group.id);
  for (const g of seed.groups) {
    for (const r of g.rules) {
      const [min, max] = r.port === undefined ? [null, null] : String(r.port).split(':').map(Number);
      await as('POST', 'security-group-rules', {
        security_group_rule: {
          security_group_id: groups.get(g.name), direction: r.direction, ethertype: r.ethertype, protocol: r.protocol === undefined ? null : String(r.protocol),
          port_range_min: min, port_range_max: max ?? min, remote_ip_prefix: r.remote_ip_prefix ?? null, remote_group_id: r.remote_group ? groups.get(r.remote_group) : null, ...owned,
        },
      });
    }
  }
  const ssh = groups.get('ssh')!;
  for (const r of (await as('GET', `security-group-rules?security_group_id=${ssh}&direction=egress`)).security_group_rules) await as('DELETE', `security-group-rules/${r.id}`);
  await as('POST', 'security-group-rules', { security_group_rule: { security_group_id: ssh, direction: 'egress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 443, port_range_max: 443, ...owned } });
  for (const inst of seed.instances) {
    for (const [i, nic] of inst.ports.entries()) {
      await as('POST', 'ports', {
        port: {
          name: `${inst.name}-eth${i}`, network_id: networks.get(nic.network), fixed_ips: [{ ip_address: nic.ip }], device_id: inst.name, device_owner: 'compute:nova',
          'binding:host_id': inst.host, security_groups: nic.groups.map((g) => groups.get(g)), allowed_address_pairs: nic.pairs.map((ip_address) => ({ ip_address })), ...owned,
        },
      });
    }
  }
  const env = {
    ...process.env, OS_AUTH_URL: `${server.url}/v3`, OS_USERNAME: 'admin', OS_PASSWORD: 'admin-pw', OS_PROJECT_NAME: 'admin',
    OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_IDENTITY_API_VERSION: '3', OS_REGION_NAME: 'RegionOne',
  };
  return { server, tenant: tenant.project, admin: admin.project, tenantToken: tenant.token, env, calls };
}

/** The built CLI with the cloud's OS_* variables (the live cloud is its input); a non-zero exit is an answer. */
async function portsec(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

const audit = async (s: Seeded) => {
  const r = await portsec(s.env, 'audit', '-f', 'raw');
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Finding[];
};
const pitfall = (findings: Finding[]) => findings.filter((f) => f.check === 'wide-pair-in-remote-group');

/**
 * Groups, rules and ports as the API lists them, with ids replaced by names and projects by who
 * owns them; Neutron's "any" remote (null) and the CLI's 0.0.0.0/0 or ::/0 are the same thing.
 */
async function state(s: Seeded) {
  const admin = (await login(s.server.url, 'admin', 'admin-pw', 'admin')).token;
  const get = async (path: string) => call(s.server.url, admin, 'GET', path);
  const groups: { id: string; name: string; project_id: string; description: string }[] = (await get('security-groups')).security_groups;
  const name = new Map(groups.map((g) => [g.id, g.name]));
  const who = (p: string) => (p === s.tenant ? 'tenant' : p === s.admin ? 'admin' : p);
  const rules = (await get('security-group-rules')).security_group_rules.map((r: Record<string, any>) => ({
    group: name.get(r.security_group_id), project: who(r.project_id), direction: r.direction, ethertype: r.ethertype, protocol: r.protocol,
    ports: [r.port_range_min, r.port_range_max], remote_group: r.remote_group_id && name.get(r.remote_group_id),
    remote_ip: r.remote_ip_prefix === '0.0.0.0/0' || r.remote_ip_prefix === '::/0' ? null : r.remote_ip_prefix, description: r.description ?? '',
  }));
  const ports = (await get('ports')).ports.map((p: Record<string, any>) => ({
    name: p.name, project: who(p.project_id), groups: p.security_groups.map((g: string) => name.get(g)).sort(), pairs: p.allowed_address_pairs.map((x: { ip_address: string }) => x.ip_address),
  }));
  const key = (x: unknown) => JSON.stringify(x);
  return {
    groups: groups.map((g) => ({ name: g.name, project: who(g.project_id), description: g.description })).sort((a, b) => key(a).localeCompare(key(b))),
    rules: rules.sort((a: unknown, b: unknown) => key(a).localeCompare(key(b))),
    ports: ports.sort((a: unknown, b: unknown) => key(a).localeCompare(key(b))),
  };
}

type State = Awaited<ReturnType<typeof state>>;
const own = (st: State) => st.rules.filter((r: { group: string }) => r.group === OWN);

describe.sequential('portsec fix on the seed, as the cloud admin for a tenant\'s port', () => {
  const servers: Seeded[] = [];
  let scripted: State;
  let applied: State;
  beforeAll(async () => {
    const started = Date.now();
    for (let i = 0; i < 3; i++) servers.push(await seeded());
    console.log(`3 seed clouds made through the API: ${servers.reduce((n, s) => n + s.calls, 0)} calls in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 120_000);
  afterAll(async () => { for (const s of servers) await s.server.stop(); });

  test('the script (-f shell) run with bash and the real openstack CLI removes the finding and opens nothing new', async () => {
    const s = servers[0];
    const before = await audit(s);
    expect(pitfall(before)).toHaveLength(1);
    const [finding] = pitfall(before);
    expect(finding.objects.find((o) => o.type === 'port')?.name).toBe(NAT);
    const shown = await portsec(s.env, 'fix', finding.id);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`${finding.id}: ${finding.title}`);
    const script = await portsec(s.env, 'fix', finding.id, '-f', 'shell');
    expect(script.code).toBe(0);
    const lines = script.stdout.trim().split('\n');
    expect(lines[0]).toBe('set -e');
    expect(lines.join('\n')).not.toMatch(/<[^>]+>/);
    expect(lines[1]).toContain(`--project ${s.tenant}`);
    const started = Date.now();
    await run('bash', ['-c', script.stdout], { env: s.env });
    console.log(`fix script: ${lines.length - 1} lines (${script.stdout.split('openstack ').length - 1} openstack commands) in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const after = await audit(s);
    expect(after.map((f) => f.id)).not.toContain(finding.id);
    expect(after.filter((f) => !before.some((b) => b.id === f.id))).toEqual([]);
    scripted = await state(s);
    expect(scripted.groups).toContainEqual(expect.objectContaining({ name: OWN, project: 'tenant' }));
    // ssh's rules, its egress limited as ssh's, without Neutron's stock allow-all egress
    expect(own(scripted).map((r: { direction: string; protocol: string; ports: number[]; remote_ip: string | null }) => [r.direction, r.protocol, r.ports, r.remote_ip]))
      .toEqual([['egress', 'tcp', [443, 443], null], ['ingress', 'tcp', [22, 22], '10.10.10.0/24']]);
    expect(scripted.ports).toContainEqual(expect.objectContaining({ name: NAT, groups: [OWN, 'natfwd'].sort() }));
    expect(scripted.rules).toContainEqual(expect.objectContaining({ group: 'proxy', protocol: 'tcp', ports: [80, 80], remote_ip: '10.10.10.10/32', project: 'tenant' }));
    // the tenant sees the group its port now holds
    const tenantGroups = (await call(s.server.url, s.tenantToken, 'GET', 'security-groups')).security_groups.map((g: { name: string }) => g.name);
    expect(tenantGroups).toContain(OWN);
    const nat = (await call(s.server.url, s.tenantToken, 'GET', `ports?name=${NAT}`)).ports[0];
    const tenantOwn = (await call(s.server.url, s.tenantToken, 'GET', `security-groups?name=${OWN}`)).security_groups[0];
    expect(nat.security_groups).toContain(tenantOwn.id);
  }, 180_000);

  test('--apply on a fresh copy of the cloud gives the same groups, rules and ports, and says the finding is gone', async () => {
    const s = servers[1];
    const [finding] = pitfall(await audit(s));
    const started = Date.now();
    const r = await portsec(s.env, 'fix', finding.id, '--apply');
    const seconds = (Date.now() - started) / 1000;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`re-audit: ${finding.id} is gone; new findings: none`);
    const apiCalls = /(\d+) API calls? in/.exec(r.stdout)?.[1];
    console.log(`fix --apply: ${apiCalls} API calls for the fix, ${seconds.toFixed(1)} s with both reads and audits`);
    applied = await state(s);
    expect(applied).toEqual(scripted);
    expect(pitfall(await audit(s))).toEqual([]);
  }, 120_000);

  test('errors: an unknown finding id, and --apply to files, are one line and exit 2; without --apply files are read', async () => {
    const s = servers[2];
    const unknown = await portsec(s.env, 'fix', 'wide-pair-in-remote-group-00000000');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^portsec: no finding wide-pair-in-remote-group-00000000 in .*`portsec audit -f json` prints each one's id\)\n$/);
    const dump = join(dir, 'seed.json');
    expect((await portsec(s.env, 'snapshot', '-o', dump)).code).toBe(0);
    const [finding] = pitfall(JSON.parse((await portsec(process.env, 'audit', '-f', 'raw', '--files', dump)).stdout) as Finding[]);
    const files = await portsec(process.env, 'fix', finding.id, '--apply', '--files', dump);
    expect(files.code).toBe(2);
    expect(files.stderr).toMatch(/^portsec: --apply writes to a cloud: .*nothing to apply to.*\n$/);
    const shown = await portsec(process.env, 'fix', finding.id, '--files', dump, '-f', 'raw');
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout).offered.map((f: { kind: string }) => f.kind)).toEqual(['move-port-to-own-group-keep-own-access', 'move-port-to-own-group']);
  });

  test('If-Match: a port changed between the audit and the write is refused (412), reported, and nothing is written after it', async () => {
    const s = servers[2];
    const [finding] = pitfall(await audit(s));
    const admin = (await login(s.server.url, 'admin', 'admin-pw', 'admin')).token;
    const nat = (await call(s.server.url, admin, 'GET', `ports?name=${NAT}`)).ports[0];
    // a proxy in front of Neutron: just before the fix's write to the port, someone else renames the port
    const seen: string[] = [];
    const proxy: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        if (req.method === 'PUT' && req.url === `/v2.0/ports/${nat.id}` && !seen.some((x) => x.startsWith('PUT'))) {
          await call(s.server.url, admin, 'PUT', `ports/${nat.id}`, { port: { name: `${NAT}-renamed` } });
        }
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k))) as Record<string, string>;
        const answer = await fetch(`${s.server.url}${req.url}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
        seen.push(`${req.method} ${req.url} ${answer.status}`);
        res.writeHead(answer.status, { 'Content-Type': answer.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await answer.arrayBuffer()));
      });
    });
    await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
    try {
      const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const r = await portsec({ ...s.env, OS_ENDPOINT: endpoint }, 'fix', finding.id, '--apply');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/FAILED: openstack port set .*\n {2}PUT \/v2\.0\/ports\/\S+ answered 412.*the cloud changed since the audit/);
      expect(r.stdout).toContain('stopped: the cloud was not audited again');
      const writes = seen.filter((x) => !x.startsWith('GET'));
      expect(writes.at(-1)).toBe(`PUT /v2.0/ports/${nat.id} 412`);
      expect(seen.at(-1)).toBe(writes.at(-1));
      const port = (await call(s.server.url, admin, 'GET', `ports/${nat.id}`)).port;
      expect(port.security_groups).toEqual(nat.security_groups);
      expect(port.name).toBe(`${NAT}-renamed`);

      // what ran stays, and the report says how to take it out: run that, and the cloud is as before the fix
      const undo = r.stdout.split('to take out what the fix created before it stopped:\n')[1].split('\n').filter((l) => l.startsWith('  openstack ')).map((l) => l.trim());
      expect(undo.map((c) => c.split(' ').slice(0, 4).join(' '))).toEqual(['openstack security group rule', 'openstack security group delete']);
      await run('bash', ['-c', ['set -e', ...undo].join('\n')], { env: s.env });
      const left = await state(s);
      expect(left.groups.map((g) => g.name)).not.toContain(OWN);
      expect(left.rules.filter((x: { remote_ip: string | null }) => x.remote_ip === '10.10.10.10/32')).toEqual([]);
      // and the fix, audited again, applies
      const again = await portsec(s.env, 'fix', finding.id, '--apply');
      expect(again.code).toBe(0);
      expect(again.stdout).toContain(`re-audit: ${finding.id} is gone; new findings: none`);
    } finally {
      await new Promise((ok) => proxy.close(ok));
    }
  }, 120_000);

  test('executeFix: every kind of action through the API, If-Match where a revision was read, and a stale one stops the rest', async () => {
    const s = servers[1];
    const admin = (await login(s.server.url, 'admin', 'admin-pw', 'admin')).token;
    const get = async (path: string) => call(s.server.url, admin, 'GET', path);
    const byName = async (kind: 'ports' | 'security-groups', name: string) => (await get(`${kind}?name=${name}`))[kind.replace('-', '_')][0];
    const spare = (await call(s.server.url, admin, 'POST', 'security-groups', { security_group: { name: 'spare', project_id: s.tenant } })).security_group;
    const [other, int, proxy, ssh] = await Promise.all([byName('ports', 'other-eth0'), byName('ports', 'int-eth0'), byName('security-groups', 'proxy'), byName('security-groups', 'ssh')]);
    // Neutron changes statefulness only of a group no port holds
    const loose = (await call(s.server.url, admin, 'POST', 'security-groups', { security_group: { name: 'loose', project_id: s.tenant } })).security_group;
    const kept = (await get(`security-group-rules?security_group_id=${proxy.id}&remote_ip_prefix=10.10.10.10/32`)).security_group_rules[0];
    const priv = (await get('networks?name=priv')).networks[0];
    const actions: FixAction[] = [
      { op: 'delete-group', group: spare.id, revision: spare.revision_number },
      { op: 'delete-rule', rule: kept.id, revision: kept.revision_number },
      { op: 'create-group', as: 'probe', name: 'probe', project: s.tenant, description: 'a probe', stockEgress: 'keep' },
      { op: 'create-rule', group: { created: 'probe' }, project: s.tenant, rule: { direction: 'ingress', ethertype: 'IPv4', protocol: 'udp', port_range_min: 53, port_range_max: 53, remote_ip_prefix: null, remote_group: { id: proxy.id } } },
      { op: 'set-port-pairs', port: other.id, pairs: [{ ip_address: '10.10.10.41' }], revision: other.revision_number },
      // two writes to one object, each with the revision the audit read: the second names what the first left
      { op: 'create-rule', group: { id: loose.id }, project: s.tenant, rule: { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 25, port_range_max: 25, remote_ip_prefix: '10.10.10.0/24', remote_group: null } },
      { op: 'set-group-stateful', group: loose.id, stateful: false, revision: loose.revision_number },
      { op: 'set-port-groups', port: int.id, groups: [], revision: int.revision_number },
      { op: 'set-port-security', port: int.id, enabled: false, revision: int.revision_number },
      { op: 'refresh-members', group: ssh.id, network: priv.id, project: s.tenant, name: 'refresh' },
    ];
    const neutron = await openNeutron({ authUrl: `${s.server.url}/v3`, username: 'admin', password: 'admin-pw', projectName: 'admin', userDomainName: 'Default', projectDomainName: 'Default' });
    const done = await executeFix({ actions }, neutron);
    expect(done.failed?.error).toBeUndefined();
    // creates and changes as listed, deletes last
    expect(done.ran.map((x) => x.action.op)).toEqual(['create-group', 'create-rule', 'set-port-pairs', 'create-rule', 'set-group-stateful', 'set-port-groups', 'set-port-security', 'refresh-members', 'delete-group', 'delete-rule']);
    expect(done.ran.flatMap((x) => x.calls).every((c) => c.status < 300)).toBe(true);
    expect((await get(`security-group-rules?security_group_id=${loose.id}&protocol=tcp`)).security_group_rules).toMatchObject([{ port_range_min: 25, project_id: s.tenant }]);
    const probe = await byName('security-groups', 'probe');
    expect(probe).toMatchObject({ id: done.created.probe, project_id: s.tenant });
    expect((await get(`security-group-rules?security_group_id=${probe.id}&direction=ingress`)).security_group_rules).toMatchObject([{ protocol: 'udp', port_range_min: 53, remote_group_id: proxy.id, project_id: s.tenant }]);
    expect((await get(`ports/${other.id}`)).port.allowed_address_pairs).toEqual([{ ip_address: '10.10.10.41', mac_address: other.mac_address }]);
    expect((await get(`security-groups/${loose.id}`)).security_group.stateful).toBe(false);
    expect((await get(`ports/${int.id}`)).port).toMatchObject({ security_groups: [], port_security_enabled: false });
    expect(await byName('ports', 'refresh')).toBeUndefined();
    expect(await byName('security-groups', 'spare')).toBeUndefined();
    expect((await get(`security-group-rules?id=${kept.id}`)).security_group_rules).toEqual([]);

    // a revision that is no longer the object's: 412, and what follows is not run
    const stale = await executeFix({ actions: [
      { op: 'set-port-pairs', port: other.id, pairs: [], revision: other.revision_number },
      { op: 'set-group-stateful', group: loose.id, stateful: true },
    ] }, neutron);
    expect(stale.ran).toEqual([]);
    expect(stale.failed?.error).toMatch(/^PUT \/v2\.0\/ports\/\S+ answered 412: .*the cloud changed since the audit/);
    expect(stale.notRun.map((x) => x.action.op)).toEqual(['set-group-stateful']);
    expect((await get(`ports/${other.id}`)).port.allowed_address_pairs).toHaveLength(1);
    expect((await get(`security-groups/${loose.id}`)).security_group.stateful).toBe(false);
  });
});
