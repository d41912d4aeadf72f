/**
 * The analyzer's inputs: this server's database, a live cloud (portsec serve
 * with Keystone, and the real neutron-server of test/support/neutron-server.ts), and
 * JSON dumps, all becoming the same snapshot; and every input error ending
 * the real CLI with one line and status 2.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Snapshot } from '../src/analysis/snapshot.js';
import { fromFiles } from '../src/analysis/sources/files.js';
import { readDatabase } from '../src/analysis/sources/store.js';
import { fromCloud, type ImportOptions } from '../src/analysis/sources/openstack.js';
import { parseCollection } from '../src/analysis/sources/schema.js';
import { freePort } from './support/free-port.js';
import { type NeutronServer, startNeutronServer } from './support/neutron-server.js';
import { CLI, type RunningServer, startServer } from './support/server.js';

type Call = (method: string, path: string, body?: unknown) => Promise<any>;

const tmp = mkdtempSync(join(tmpdir(), 'portsec-sources-'));
/** the environment without OS_* variables, which would name a cloud of their own */
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A snapshot without its source, every list sorted by id: what two inputs must agree on. */
function canonical(s: Snapshot): Omit<Snapshot, 'source'> {
  const byId = <T extends { id: string }>(items: T[]) => [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    networks: byId(s.networks),
    subnets: byId(s.subnets),
    ports: byId(s.ports),
    security_groups: byId(s.security_groups),
    security_group_rules: byId(s.security_group_rules),
  };
}

async function expectOk(call: Call, method: string, path: string, body?: unknown): Promise<any> {
  const res = await call(method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * The seed's kind of topology, made by a project member through the API: three
 * networks (pagination at page size 2), IPv4 and IPv6 subnets, groups whose rules
 * name remote groups (one itself), a NAT server with a 0.0.0.0/0 pair, a VIP pair,
 * a port without port security.
 */
async function memberTopology(call: Call) {
  const ok = (method: string, path: string, body?: unknown) => expectOk(call, method, path, body);
  const net1 = (await ok('POST', '/v2.0/networks', { network: { name: 'net1' } })).network.id;
  const net2 = (await ok('POST', '/v2.0/networks', { network: { name: 'net2' } })).network.id;
  await ok('POST', '/v2.0/networks', { network: { name: 'net3', port_security_enabled: false } });
  await ok('POST', '/v2.0/subnets', { subnet: { network_id: net1, name: 'sub1', ip_version: 4, cidr: '10.1.1.0/24' } });
  await ok('POST', '/v2.0/subnets', { subnet: { network_id: net2, name: 'sub6', ip_version: 6, cidr: 'fd00:1::/64' } });
  const group = async (name: string) => (await ok('POST', '/v2.0/security-groups', { security_group: { name } })).security_group.id as string;
  const ssh = await group('ssh');
  const proxy = await group('proxy');
  const vip = await group('vip');
  const rule = (r: Record<string, unknown>) => ok('POST', '/v2.0/security-group-rules', { security_group_rule: { direction: 'ingress', ethertype: 'IPv4', ...r } });
  await rule({ security_group_id: ssh, protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.10.10.0/24' });
  const proxyRule = (await rule({ security_group_id: proxy, protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_group_id: ssh })).security_group_rule.id;
  await rule({ security_group_id: vip, protocol: '112', remote_group_id: vip, description: 'VRRP' });
  const port = async (name: string, extra: Record<string, unknown>) => (await ok('POST', '/v2.0/ports', { port: { network_id: net1, name, ...extra } })).port;
  const nat = await port('nat-server', { security_groups: [ssh], allowed_address_pairs: [{ ip_address: '0.0.0.0/0' }] });
  await port('proxy', { security_groups: [proxy] });
  await port('vipa', { security_groups: [vip], allowed_address_pairs: [{ ip_address: '10.1.1.2' }] });
  await port('vipb', { security_groups: [vip], allowed_address_pairs: [{ ip_address: '10.1.1.2', mac_address: 'fa:16:3e:00:00:02' }, { ip_address: '10.1.1.3' }] });
  await port('open', { port_security_enabled: false, security_groups: [] });
  return { net1, ssh, proxy, vip, proxyRule, nat };
}

describe.sequential('portsec serve with Keystone: the database and the live import agree', () => {
  let server: RunningServer;
  let projects: Record<string, string>;
  const tokens: Record<string, string> = {};
  const auth = (user: string) => ({ authUrl: `${server.url}/v3`, username: user, password: `${user}-pw`, projectName: user });

  async function login(user: string): Promise<string> {
    const res = await fetch(`${server.url}/identity/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: user, password: `${user}-pw`, domain: { name: 'Default' } } } }, scope: { project: { name: user, domain: { name: 'Default' } } } } }),
    });
    const body = await res.json() as { token: { project: { id: string } } };
    projects[user] = body.token.project.id;
    return res.headers.get('x-subject-token')!;
  }
  const as = (user: string): Call => async (method, path, body) => {
    const res = await fetch(`${server.url}${path}`, { method, headers: { 'X-Auth-Token': tokens[user], 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const storeSnapshot = (project?: string) => readDatabase(server.db, project);

  beforeAll(async () => {
    const accounts = join(tmp, 'accounts.yaml');
    writeFileSync(accounts, '- username: demo\n  password: demo-pw\n  project_name: demo\n- username: other\n  password: other-pw\n  project_name: other\n');
    server = await startServer(['--auth', 'keystone', '--accounts', accounts, '--admin-password', 'admin-pw']);
    projects = {};
    for (const user of ['admin', 'demo', 'other']) tokens[user] = await login(user);
    await memberTopology(as('demo'));
    // an admin's shared network, a port bound to a compute node, and another project's port on the shared network
    const ok = (user: string, path: string, body: unknown) => expectOk(as(user), 'POST', path, body);
    const shared = (await ok('admin', '/v2.0/networks', { network: { name: 'public', shared: true } })).network.id;
    await ok('admin', '/v2.0/subnets', { subnet: { network_id: shared, ip_version: 4, cidr: '192.168.50.0/24' } });
    await ok('admin', '/v2.0/ports', { port: { network_id: shared, name: 'bound', 'binding:host_id': 'cn1' } });
    await ok('other', '/v2.0/ports', { port: { network_id: shared, name: 'theirs' } });
  });
  afterAll(async () => { await server?.stop(); });

  test('the admin\'s import (password, pages of 2) equals the database, every object included', async () => {
    const live = await fromCloud({ ...auth('admin'), pageSize: 2 });
    const db = await storeSnapshot();
    expect(canonical(live)).toEqual(canonical(db));
    expect(db.ports.map((p) => p.name).sort()).toEqual(['bound', 'nat-server', 'open', 'proxy', 'theirs', 'vipa', 'vipb']);
    expect(db.ports.find((p) => p.name === 'bound')!['binding:host_id']).toBe('cn1');
    expect(db.networks).toHaveLength(4);
    expect(live.source).toBe(`cloud ${server.url}/v3 (${server.url})`);
  });

  test('a member\'s import equals the database as that project sees it (shared network, no binding, not the other project)', async () => {
    const live = await fromCloud(auth('demo'));
    const db = await storeSnapshot(projects.demo);
    expect(canonical(live)).toEqual(canonical(db));
    expect(db.networks.map((n) => n.name).sort()).toEqual(['net1', 'net2', 'net3', 'public']);
    expect(db.subnets.map((s) => s.cidr).sort()).toEqual(['10.1.1.0/24', '192.168.50.0/24', 'fd00:1::/64']);
    expect(db.ports.map((p) => p.name).sort()).toEqual(['nat-server', 'open', 'proxy', 'vipa', 'vipb']);
    expect(db.ports.every((p) => !('binding:host_id' in p))).toBe(true);
    expect(new Set(db.security_groups.map((g) => g.project_id))).toEqual(new Set([projects.demo]));
  });

  test('each port\'s backend: the admin sees the bindings (linuxbridge\'s), a member sees none and the default is assumed, said in the output', async () => {
    const admin = await fromCloud(auth('admin'));
    // no agent runs beside this server: none listed, the bindings alone tell
    expect([admin.agents, admin.backends!.agents]).toEqual([[], 'GET /v2.0/agents: none listed (no agent reported, or only admins see them)']);
    const bound = admin.ports.find((p) => p.name === 'bound')!;
    expect([bound['binding:vif_type'], bound['binding:vif_details']]).toEqual(['bridge', { port_filter: true, connectivity: 'l2', bound_drivers: { 0: 'linuxbridge' } }]);
    expect(admin.backends!.ports[bound.id]).toEqual({ backend: 'iptables', evidence: 'bound by linuxbridge (binding:vif_details.bound_drivers): ML2/linuxbridge' });
    expect(admin.backends!.ports[admin.ports.find((p) => p.name === 'proxy')!.id]).toEqual({ backend: 'unknown', evidence: 'not bound to a host' });
    expect(admin.backends!.ports).toEqual((await storeSnapshot()).backends!.ports);
    const member = await fromCloud(auth('demo'));
    expect(Object.values(member.backends!.ports)).toEqual(member.ports.map(() => ({ backend: 'unknown', evidence: 'no binding:host_id (only admins see bindings)' })));
    const r = spawnSync(process.execPath, [CLI, 'can-reach', 'nat-server', 'proxy', '--protocol', 'tcp', '--port', '80',
      '--os-auth-url', `${server.url}/v3`, '--os-username', 'demo', '--os-password', 'demo-pw', '--os-project-name', 'demo'], { encoding: 'utf8', env: ENV });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[1]).toBe('backend: iptables (iptables/ipset (linuxbridge)) for nat-server (egress), proxy (ingress), the default: nothing showed their firewall '
      + `(no binding:host_id (only admins see bindings)); ${member.backends!.agents}`);
  });

  test('token auth: a Keystone token exchanged for a scoped one with the catalog', async () => {
    const live = await fromCloud({ authUrl: `${server.url}/v3`, token: tokens.admin, projectName: 'admin' });
    expect(canonical(live)).toEqual(canonical(await storeSnapshot()));
  });

  test('clouds.yaml (OS_CLIENT_CONFIG_FILE) with secure.yaml holding the password, through the CLI', async () => {
    const dir = join(tmp, 'clouds');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'clouds.yaml'), `clouds:\n  lab:\n    auth:\n      auth_url: ${server.url}/identity\n      username: demo\n      project_name: demo\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: RegionOne\n    interface: public\n`);
    writeFileSync(join(dir, 'secure.yaml'), 'clouds:\n  lab:\n    auth:\n      password: demo-pw\n');
    const out = join(tmp, 'lab.json');
    const r = spawnSync(process.execPath, [CLI, 'snapshot', '--os-cloud', 'lab', '-o', out], { cwd: dir, encoding: 'utf8', env: { ...ENV, HOME: dir, OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml') } });
    expect(r.stderr).toMatch(/^portsec: wrote .*lab\.json: 4 networks, 3 subnets, 5 ports, 4 security groups, \d+ rules \(cloud lab \(http:\/\/127\.0\.0\.1:\d+\)\)\n/);
    // a member sees no binding: every port's backend unknown
    expect(r.stderr.split('\n')[1]).toBe('portsec: ports by backend: unknown 5 (GET /v2.0/agents: none listed (no agent reported, or only admins see them))');
    expect(r.status).toBe(0);
    expect(canonical(fromFiles([out]))).toEqual(canonical(await storeSnapshot(projects.demo)));
  });

  test('JSON files: the snapshot command\'s output reads back equal', async () => {
    const out = join(tmp, 'db.json');
    const r = spawnSync(process.execPath, [CLI, 'snapshot', '--db', server.db, '-o', out], { encoding: 'utf8', env: ENV });
    expect(r.status).toBe(0);
    const back = fromFiles([out]);
    expect(back.source).toBe(`files ${out}`);
    expect(canonical(back)).toEqual(canonical(await storeSnapshot()));
    // to standard output without -o, the same
    const stdout = spawnSync(process.execPath, [CLI, 'snapshot', '--db', server.db], { encoding: 'utf8', env: ENV });
    expect(canonical(JSON.parse(stdout.stdout))).toEqual(canonical(await storeSnapshot()));
  });

  test('JSON files: per-resource dumps of the API\'s answers, rules embedded in the groups or in their own file, a combined file', async () => {
    const get = async (path: string) => expectOk(as('admin'), 'GET', `/v2.0/${path}`);
    const bodies = {
      networks: await get('networks'), subnets: await get('subnets'), ports: await get('ports'),
      security_groups: await get('security-groups'), security_group_rules: await get('security-group-rules'),
    };
    const expected = canonical(await storeSnapshot());
    const embedded = join(tmp, 'dump-embedded');
    mkdirSync(embedded);
    writeFileSync(join(embedded, 'networks.json'), JSON.stringify(bodies.networks));
    writeFileSync(join(embedded, 'subnets.json'), JSON.stringify(bodies.subnets));
    writeFileSync(join(embedded, 'ports.json'), JSON.stringify(bodies.ports));
    writeFileSync(join(embedded, 'security-groups.json'), JSON.stringify(bodies.security_groups));
    expect(bodies.security_groups.security_groups[0].security_group_rules.length).toBeGreaterThan(0);
    expect(canonical(fromFiles([embedded]))).toEqual(expected);

    const separate = join(tmp, 'dump-separate');
    mkdirSync(separate);
    for (const [key, body] of Object.entries(bodies)) writeFileSync(join(separate, `${key}.json`), JSON.stringify(body));
    expect(canonical(fromFiles([separate]))).toEqual(expected);
    // files named one by one, in any order
    const named = ['ports', 'security_group_rules', 'networks', 'security_groups', 'subnets'].map((k) => join(separate, `${k}.json`));
    expect(canonical(fromFiles(named))).toEqual(expected);

    const combined = join(tmp, 'combined.json');
    writeFileSync(combined, JSON.stringify(Object.assign({}, ...Object.values(bodies))));
    expect(canonical(fromFiles([combined]))).toEqual(expected);
  });

  test('every input error ends the CLI with one line, no stack trace, status 2', async () => {
    // asynchronous: some answers come from servers in this process
    const snapshot = (args: string[], env: NodeJS.ProcessEnv = {}) => new Promise<{ status: number | null; stderr: string; stdout: string }>((ok) => {
      const child = spawn(process.execPath, [CLI, 'snapshot', ...args], { env: { ...ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('close', (status) => ok({ status, stdout, stderr }));
    });
    const expectError = (r: { status: number | null; stderr: string; stdout: string }, message: RegExp) => {
      expect(r.stderr).toMatch(/^portsec: [^\n]+\n$/);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
      expect(r.stdout).toBe('');
      expect(r.status).toBe(2);
    };
    const bad = (name: string, text: string) => {
      const file = join(tmp, name);
      writeFileSync(file, text);
      return file;
    };

    // the cloud: nobody listening, an unknown host, no answer in time, not JSON, bad credentials, no catalog entry
    const closed = await freePort();
    expectError(await snapshot(['--os-auth-url', `http://127.0.0.1:${closed}/v3`, '--os-username', 'u', '--os-password', 'p']),
      new RegExp(`cannot reach http://127\\.0\\.0\\.1:${closed}: connection refused`));
    // .invalid never resolves (RFC 6761); an unreachable resolver gives up before the default 30 s timeout
    expectError(await snapshot(['--os-endpoint', 'http://no-such-cloud.invalid:9696', '--os-auth-type', 'none']), /cannot reach http:\/\/no-such-cloud\.invalid:9696: .*DNS/);
    const silent = createTcpServer((socket: Socket) => { socket.on('error', () => undefined); });
    const html: Server = createHttpServer((_, res) => { res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body>Welcome to nginx!</body></html>'); });
    await Promise.all([new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok)), new Promise<void>((ok) => html.listen(0, '127.0.0.1', ok))]);
    try {
      const silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
      expectError(await snapshot(['--os-endpoint', silentUrl, '--os-auth-type', 'none', '--api-timeout', '0.5']), /no answer within 0\.5 s/);
      const htmlUrl = `http://127.0.0.1:${(html.address() as { port: number }).port}`;
      expectError(await snapshot(['--os-endpoint', htmlUrl, '--os-auth-type', 'none']), /answered 200 with text\/html, not JSON: Welcome to nginx!/);
    } finally {
      silent.close();
      html.close();
      // keep-alive sockets of the silent server would hold the test open
      html.closeAllConnections();
    }
    expectError(await snapshot(['--os-auth-url', `${server.url}/v3`, '--os-username', 'demo', '--os-password', 'wrong', '--os-project-name', 'demo']),
      /Keystone at http:\/\/.*\/v3 refused the password of user demo in project demo \(401: The request you have made requires authentication\.\)/);
    expectError(await snapshot([], { OS_AUTH_URL: `${server.url}/v3`, OS_USERNAME: 'demo', OS_PASSWORD: 'demo-pw', OS_PROJECT_NAME: 'demo', OS_REGION_NAME: 'Nowhere' }),
      /the service catalog has no network endpoint for interface public, region Nowhere \(it has public RegionOne, internal RegionOne, admin RegionOne\)/);
    expectError(await snapshot(['--os-endpoint', server.url, '--os-auth-type', 'none']), /Neutron at http:\/\/.* refused a request without a token/);
    expectError(await snapshot(['--os-auth-url', `${server.url}/v3`]), /no user: give --os-username/);
    expectError(await snapshot(['--os-cloud', 'nowhere'], { OS_CLIENT_CONFIG_FILE: bad('clouds.yaml', 'clouds:\n  lab: {}\n') }), /clouds\.yaml: no cloud named nowhere \(it has lab\)/);

    // the database and the files
    expectError(await snapshot(['--db', join(tmp, 'missing.db')]), /missing\.db: no such database/);
    expectError(await snapshot(['--db', bad('not-a.db', 'hello, I am text')]), /not-a\.db: cannot open as a portsec database: file is not a database/);
    expectError(await snapshot(['--files', bad('truncated.json', '{"ports": [')]), /truncated\.json: not JSON: /);
    expectError(await snapshot(['--files', bad('array.json', '[]')]), /array\.json: expected a Neutron API answer: an object with one or more of the keys networks, subnets, ports/);
    const port = { id: 'p1', project_id: 'x', network_id: 'n1', mac_address: 'fa:16:3e:00:00:01', fixed_ips: [{ subnet_id: 's1', ip_address: '10.1.1.5' }] };
    expectError(await snapshot(['--files', bad('missing-field.json', JSON.stringify({ ports: [port, { ...port, id: 'p2', mac_address: undefined }] }))]),
      /missing-field\.json: ports\[1\] \(id p2\)\.mac_address: missing \(expected string\)$/m);
    expectError(await snapshot(['--files', bad('wrong-type.json', JSON.stringify({ ports: [{ ...port, fixed_ips: [{ subnet_id: 's1', ip_address: 10 }] }] }))]),
      /wrong-type\.json: ports\[0\] \(id p1\)\.fixed_ips\[0\]\.ip_address: expected string, got number 10$/m);
    expectError(await snapshot(['--files', bad('bad-rule.json', JSON.stringify({ security_group_rules: [{ id: 'r1', security_group_id: 'g', direction: 'in', ethertype: 'IPv4' }] }))]),
      /bad-rule\.json: security_group_rules\[0\] \(id r1\)\.direction: expected one of "ingress", "egress", got the string "in"$/m);
    expectError(await snapshot(['--files', bad('ports-only.json', JSON.stringify({ ports: [port] }))]), /ports-only\.json: no networks, subnets, security_groups \(expected networks\.json, subnets\.json, security_groups\.json or a file with the keys/);
    expectError(await snapshot(['--files', join(tmp, 'nothing-here')]), /nothing-here: no such file or directory/);
    expectError(await snapshot(['--db', server.db, '--files', join(tmp, 'x.json')]), /name one input, not --db and --files/);
  }, 240_000);
});

describe.sequential('the real neutron-server (no Keystone)', () => {
  let neutron: NeutronServer;
  let made: Awaited<ReturnType<typeof memberTopology>>;
  // the admin has no project: an admin's listing of groups with one would create that project's default group
  const headers = (project: string | undefined, roles: string) => ({
    'X-User-Id': `user-${project ?? 'admin'}`, ...(project ? { 'X-Project-Id': project } : {}), 'X-Roles': roles, 'Content-Type': 'application/json',
  });
  const as = (project: string | undefined, roles = 'member'): Call => async (method, path, body) => {
    const res = await fetch(`${neutron.url}${path}`, { method, headers: headers(project, roles), body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    const t0 = performance.now();
    neutron = await startNeutronServer();
    process.stdout.write(`neutron-server: started fresh in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    made = await memberTopology(as('proj-a'));
  }, 300_000);
  afterAll(async () => { await neutron?.stop(); });

  test('the import (no auth, pages of 2) holds every object as Neutron shows it one by one', async () => {
    const options: ImportOptions = { endpoint: neutron.url, authType: 'none', pageSize: 2 };
    const live = await fromCloud(options);
    expect(live.source).toBe(`cloud ${neutron.url}`);
    const admin = as(undefined, 'admin');
    for (const [collection, path, key] of [
      ['networks', 'networks', 'network'], ['subnets', 'subnets', 'subnet'], ['ports', 'ports', 'port'],
      ['security_groups', 'security-groups', 'security_group'], ['security_group_rules', 'security-group-rules', 'security_group_rule'],
    ] as const) {
      const listed = (await expectOk(admin, 'GET', `/v2.0/${path}`))[collection] as { id: string }[];
      expect(live[collection].map((i) => i.id).sort()).toEqual(listed.map((i) => i.id).sort());
      for (const { id } of listed) {
        const one = (await expectOk(admin, 'GET', `/v2.0/${path}/${id}`))[key];
        // a group's rules are their own list in a snapshot
        const { security_group_rules: _rules, ...item } = parseCollection(collection, [one], `GET ${path}/${id}`)[0] as unknown as Record<string, unknown>;
        expect(live[collection]).toContainEqual(item);
      }
    }
    expect(live.networks.length).toBeGreaterThan(2);
    expect(live.ports.find((p) => p.id === made.nat.id)).toMatchObject({
      name: 'nat-server', security_groups: [made.ssh], allowed_address_pairs: [{ ip_address: '0.0.0.0/0', mac_address: made.nat.mac_address }],
    });
    expect(live.ports.find((p) => p.name === 'open')).toMatchObject({ port_security_enabled: false, security_groups: [] });
    expect(live.security_group_rules.find((r) => r.id === made.proxyRule)).toMatchObject({
      security_group_id: made.proxy, protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_group_id: made.ssh, remote_ip_prefix: null,
    });
    expect(live.security_group_rules.find((r) => r.security_group_id === made.vip && r.direction === 'ingress'))
      .toMatchObject({ protocol: '112', remote_group_id: made.vip, description: 'VRRP' });
    // the import wrote nothing: a second one is the same
    expect(canonical(await fromCloud(options))).toEqual(canonical(live));
  });

  test('portsec snapshot --os-endpoint URL --os-auth-type none, with --progress off a terminal: a line per page', async () => {
    const out = join(tmp, 'neutron.json');
    const r = spawnSync(process.execPath, [CLI, 'snapshot', '--os-endpoint', neutron.url, '--os-auth-type', 'none', '--page-size', '2', '--progress', '-o', out], { encoding: 'utf8', env: ENV });
    expect(r.status).toBe(0);
    const lines = r.stderr.trim().split('\n');
    const live = await fromCloud({ endpoint: neutron.url, authType: 'none' });
    // pages of 2 ports: 2, 4, 5
    expect(lines.filter((l) => / ports \d+$/.test(l)).map((l) => Number(/ports (\d+)$/.exec(l)![1]))).toEqual([2, 4, live.ports.length]);
    expect(lines.at(-3)).toBe(`portsec: reading the cloud: networks ${live.networks.length}, subnets ${live.subnets.length}, ports ${live.ports.length}, `
      + `security_groups ${live.security_groups.length}, security_group_rules ${live.security_group_rules.length}, agents ${live.agents!.length}`);
    expect(lines.at(-2)).toMatch(/^portsec: wrote .*neutron\.json: 3 networks, 2 subnets, 5 ports, 4 security groups, \d+ rules/);
    // Neutron binds nothing without agents: nothing shows a firewall
    expect(lines.at(-1)).toBe('portsec: ports by backend: unknown 5 (GET /v2.0/agents: none listed (no agent reported, or only admins see them))');
    expect(canonical(fromFiles([out]))).toEqual(canonical(live));
  });
});
