/**
 * The real OpenStack clients (Debian's neutron and openstack CLIs), unchanged,
 * with password auth against portsec's Keystone; every step checks the
 * server's state afterwards through the API.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RunningServer, startServer } from './support/server.js';

const run = promisify(execFile);
let server: RunningServer;
let env: NodeJS.ProcessEnv;
let token: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portsec-clients-'));
  const accounts = join(dir, 'accounts.yaml');
  writeFileSync(accounts, "- username: demo\n  password: demo-pw\n  project_name: demo\n");
  server = await startServer(['--auth', 'keystone', '--accounts', accounts, '--admin-password', 'admin-pw']);
  env = {
    ...process.env, OS_AUTH_URL: `${server.url}/v3`, OS_USERNAME: 'demo', OS_PASSWORD: 'demo-pw', OS_PROJECT_NAME: 'demo',
    OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_IDENTITY_API_VERSION: '3', OS_REGION_NAME: 'RegionOne',
  };
  const res = await fetch(`${server.url}/identity/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'demo', password: 'demo-pw', domain: { name: 'Default' } } } }, scope: { project: { name: 'demo', domain: { name: 'Default' } } } } }),
  });
  token = res.headers.get('x-subject-token')!;
});
afterAll(async () => { await server?.stop(); });

async function cli(tool: 'openstack' | 'neutron', ...args: string[]): Promise<string> {
  const { stdout } = await run(tool, args, { env });
  return stdout.trim();
}

async function cliFails(tool: 'openstack' | 'neutron', ...args: string[]): Promise<string> {
  try {
    await run(tool, args, { env });
  } catch (e) {
    return String((e as { stderr: string }).stderr);
  }
  throw new Error(`${tool} ${args.join(' ')} succeeded`);
}

async function get(path: string): Promise<any> {
  const res = await fetch(`${server.url}/v2.0/${path}`, { headers: { 'X-Auth-Token': token } });
  expect(res.status).toBe(200);
  return res.json();
}

const pairsOf = async (id: string) => (await get(`ports/${id}`)).port.allowed_address_pairs;

describe.sequential('real clients against portsec with Keystone password auth', () => {
  let net: string;
  let port: string;
  let mac: string;

  test('network and subnet create, list and show', async () => {
    net = await cli('openstack', 'network', 'create', 'net1', '-f', 'value', '-c', 'id');
    const sub = await cli('openstack', 'subnet', 'create', '--network', 'net1', '--subnet-range', '10.1.1.0/24',
      '--allocation-pool', 'start=10.1.1.10,end=10.1.1.200', 'sub1', '-f', 'value', '-c', 'id');
    expect((await get(`networks/${net}`)).network.subnets).toEqual([sub]);
    expect((await get(`subnets/${sub}`)).subnet.allocation_pools).toEqual([{ start: '10.1.1.10', end: '10.1.1.200' }]);
    expect(await cli('openstack', 'network', 'list', '-f', 'value', '-c', 'Name')).toBe('net1');
    expect(await cli('openstack', 'subnet', 'show', 'sub1', '-f', 'value', '-c', 'cidr')).toBe('10.1.1.0/24');
  });

  test('security groups and rules with --remote-ip, --remote-group, --protocol, --dst-port, --ingress/--egress, --ethertype', async () => {
    const ssh = await cli('openstack', 'security', 'group', 'create', 'ssh', '-f', 'value', '-c', 'id');
    const proxy = await cli('openstack', 'security', 'group', 'create', 'proxy', '-f', 'value', '-c', 'id');
    await cli('openstack', 'security', 'group', 'rule', 'create', '--ingress', '--ethertype', 'IPv4', '--protocol', 'tcp', '--dst-port', '22', '--remote-ip', '10.10.10.0/24', 'ssh');
    await cli('openstack', 'security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port', '80:81', '--remote-group', 'ssh', 'proxy');
    await cli('openstack', 'security', 'group', 'rule', 'create', '--egress', '--ethertype', 'IPv6', '--protocol', 'udp', '--dst-port', '53', 'proxy');
    const sshRules = (await get(`security-group-rules?security_group_id=${ssh}&direction=ingress`)).security_group_rules;
    expect(sshRules).toMatchObject([{ protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.10.10.0/24', ethertype: 'IPv4' }]);
    const proxyRules = (await get(`security-group-rules?security_group_id=${proxy}&protocol=tcp`)).security_group_rules;
    expect(proxyRules).toMatchObject([{ direction: 'ingress', port_range_min: 80, port_range_max: 81, remote_group_id: ssh, remote_ip_prefix: null }]);
    const egress = (await get(`security-group-rules?security_group_id=${proxy}&protocol=udp`)).security_group_rules;
    expect(egress).toMatchObject([{ direction: 'egress', ethertype: 'IPv6', port_range_min: 53, remote_ip_prefix: '::/0' }]);
    expect(await cliFails('openstack', 'security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port', '22', '--remote-ip', '10.10.10.0/24', 'ssh'))
      .toContain('Security group rule already exists');
    const names = (await cli('openstack', 'security', 'group', 'list', '-f', 'value', '-c', 'Name')).split('\n').sort();
    expect(names).toEqual(['default', 'proxy', 'ssh']);
  });

  test('port create with --security-group, and the seed\'s neutron commands', async () => {
    port = await cli('openstack', 'port', 'create', '--network', 'net1', '--security-group', 'ssh', 'port1', '-f', 'value', '-c', 'id');
    const p = (await get(`ports/${port}`)).port;
    mac = p.mac_address;
    expect(p.security_groups).toEqual([(await get('security-groups?name=ssh')).security_groups[0].id]);
    await cli('neutron', 'port-update', 'port1', '--allowed-address-pairs', 'type=dict', 'list=true', 'ip_address=10.1.1.2');
    expect(await pairsOf(port)).toEqual([{ ip_address: '10.1.1.2', mac_address: mac }]);
    await cli('neutron', 'port-update', 'port1', '--allowed-address-pairs', '');
    expect(await pairsOf(port)).toEqual([]);
  });

  test('openstack port set/unset --allowed-address, --no-allowed-address', async () => {
    await cli('openstack', 'port', 'set', '--allowed-address', 'ip-address=10.1.1.2', 'port1');
    await cli('openstack', 'port', 'set', '--allowed-address', 'ip-address=10.1.1.3,mac-address=fa:16:3e:00:00:01', 'port1');
    expect(await pairsOf(port)).toEqual([{ ip_address: '10.1.1.2', mac_address: mac }, { ip_address: '10.1.1.3', mac_address: 'fa:16:3e:00:00:01' }]);
    await cli('openstack', 'port', 'unset', '--allowed-address', 'ip-address=10.1.1.3,mac-address=fa:16:3e:00:00:01', 'port1');
    expect(await pairsOf(port)).toEqual([{ ip_address: '10.1.1.2', mac_address: mac }]);
    await cli('openstack', 'port', 'set', '--no-allowed-address', 'port1');
    expect(await pairsOf(port)).toEqual([]);
  });

  test('port security: --disable-port-security needs --no-security-group', async () => {
    expect(await cliFails('openstack', 'port', 'set', '--disable-port-security', 'port1')).toContain('Port has security group associated');
    expect((await get(`ports/${port}`)).port.port_security_enabled).toBe(true);
    await cli('openstack', 'port', 'set', '--no-security-group', '--disable-port-security', 'port1');
    expect((await get(`ports/${port}`)).port).toMatchObject({ port_security_enabled: false, security_groups: [] });
    await cli('openstack', 'port', 'set', '--enable-port-security', '--security-group', 'proxy', 'port1');
    expect((await get(`ports/${port}`)).port).toMatchObject({ port_security_enabled: true, security_groups: [(await get('security-groups?name=proxy')).security_groups[0].id] });
    await cli('openstack', 'port', 'set', '--no-security-group', 'port1');
    expect((await get(`ports/${port}`)).port.security_groups).toEqual([]);
  });

  test('list, show and delete of each resource', async () => {
    expect(await cli('openstack', 'port', 'list', '-f', 'value', '-c', 'Name')).toBe('port1');
    expect(await cli('neutron', 'port-show', 'port1', '-f', 'value', '-c', 'name')).toBe('port1');
    const rule = (await get('security-group-rules?protocol=udp')).security_group_rules[0].id;
    expect(await cli('openstack', 'security', 'group', 'rule', 'show', rule, '-f', 'value', '-c', 'protocol')).toBe('udp');
    await cli('openstack', 'security', 'group', 'rule', 'delete', rule);
    expect((await get('security-group-rules?protocol=udp')).security_group_rules).toEqual([]);
    await cli('openstack', 'port', 'delete', 'port1');
    expect((await get('ports')).ports).toEqual([]);
    await cli('openstack', 'security', 'group', 'delete', 'ssh', 'proxy');
    expect((await get('security-groups')).security_groups.map((g: { name: string }) => g.name)).toEqual(['default']);
    // rules that named ssh as their remote group went with it
    expect((await get('security-group-rules?protocol=tcp')).security_group_rules).toEqual([]);
    await cli('openstack', 'subnet', 'delete', 'sub1');
    await cli('openstack', 'network', 'delete', 'net1');
    expect((await get('networks')).networks).toEqual([]);
  });

  test('a wrong password is refused', async () => {
    expect(await cliFails('openstack', '--os-password', 'nope', 'network', 'list')).toMatch(/401|authenticat/i);
  });
});
