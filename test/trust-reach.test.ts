/**
 * can-reach as users ask it: without --port, a row per service the rules tell apart
 * and one for any other; to an address outside the cloud (egress to the Internet: the
 * sender's anti-spoofing and egress rules, then its router out); instances by the names
 * users give them, and a name of two things refused with the candidates.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { type ReachAnswer } from '../src/analysis/answers.js';
import { buildCloud } from '../src/analysis/cloud.js';
import { canReach, canReachEach } from '../src/analysis/reach.js';
import { type Snapshot, type SnapshotPort } from '../src/analysis/snapshot.js';
import { api, as, portsec, startServer } from './support/server.js';
import { NET, port, rule, snapshot } from './support/snapshot-builder.js';

const tmp = mkdtempSync(join(tmpdir(), 'portsec-reach-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const routerPort = (id: string, network: string, owner: string, ip: string): SnapshotPort =>
  ({ ...port(id, [], [], [], { device_owner: owner, device_id: 'r1', network_id: network }), fixed_ips: [{ subnet_id: network === NET ? 'sub-1' : 'sub-ext', ip_address: ip }] });

/**
 * web (10.10.10.20) admits tcp/22 and tcp/8000-8080 from the subnet, tcp/80 and ICMP echo from
 * anywhere; client (10.10.10.30) may send anything; locked (10.10.10.40) only tcp/443. Router r1
 * joins net-1 to the external network ext, through its gateway port.
 */
function cloudOf(extra: { gateway?: boolean; router?: boolean } = {}): Snapshot {
  const { gateway = true, router = true } = extra;
  const s = snapshot([
    port('web', ['10.10.10.20'], ['web']),
    port('client', ['10.10.10.30'], ['base']),
    port('locked', ['10.10.10.40'], ['https-out']),
    ...(router ? [routerPort('r1-if', NET, 'network:router_interface', '10.10.10.1')] : []),
    ...(router && gateway ? [routerPort('r1-gw', 'ext', 'network:router_gateway', '203.0.113.5')] : []),
  ], ['web', 'base', 'https-out'], [
    rule('ssh', 'web', { port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.10.10.0/24' }),
    rule('http', 'web', { port_range_min: 80, port_range_max: 80 }),
    rule('alt', 'web', { port_range_min: 8000, port_range_max: 8080, remote_ip_prefix: '10.10.10.0/24' }),
    rule('ping', 'web', { protocol: 'icmp', port_range_min: 8, port_range_max: null }),
    rule('out', 'base', { direction: 'egress', protocol: null }),
    rule('https', 'https-out', { direction: 'egress', port_range_min: 443, port_range_max: 443 }),
  ]);
  return {
    ...s,
    networks: [...s.networks, { id: 'ext', name: 'public', project_id: 'admin', 'router:external': true }],
    subnets: [...s.subnets, { id: 'sub-ext', name: 'public', network_id: 'ext', ip_version: 4, cidr: '203.0.113.0/24', gateway_ip: '203.0.113.1' }],
  };
}

const rows = (s: Snapshot, src: string, dst: string, protocol: string) => canReachEach(buildCloud(s), { src, dst, protocol }).map((r) => `${r.service} ${r.answer.verdict}`);
const stages = (a: ReachAnswer) => a.steps.map((s) => `${s.stage}:${s.ok ? 'ok' : 'blocked'}`);

describe('can-reach without --port: every service that matters', () => {
  test('tcp: each port range the rules name, and any other port', () => {
    expect(rows(cloudOf(), 'client', 'web', 'tcp')).toEqual(['tcp/22 ALLOW', 'tcp/80 ALLOW', 'tcp/8000-8080 ALLOW', 'tcp other ports (asked at 1024) DENY']);
    // the sender's egress rules cut the ports too: locked may send tcp/443 only
    expect(rows(cloudOf(), 'locked', 'web', 'tcp')).toEqual(['tcp/22 DENY', 'tcp/80 DENY', 'tcp/443 DENY', 'tcp/8000-8080 DENY', 'tcp other ports (asked at 1024) DENY']);
  });

  test('icmp: each type the rules name, and the other types; a protocol without ports: one answer', () => {
    expect(rows(cloudOf(), 'client', 'web', 'icmp')).toEqual(['icmp type 8 ALLOW', 'icmp other types (asked with type 0) DENY']);
    expect(rows(cloudOf(), 'client', 'web', 'vrrp')).toEqual(['vrrp DENY']);
    // no group rule of udp: Neutron's own DHCP rule (udp/68 from the DHCP server) is the one range named
    expect(rows(cloudOf(), 'client', 'web', 'udp')).toEqual(['udp/68 DENY', 'udp other ports (asked at 1024) DENY']);
    // no rule of the protocol at all: every port alike
    expect(rows(cloudOf(), 'client', 'web', 'sctp')).toEqual(['sctp any port (asked at 1024) DENY']);
  });

  test('with --port, the one answer', () => {
    expect(canReachEach(buildCloud(cloudOf()), { src: 'client', dst: 'web', protocol: 'tcp', port: 8080 }).map((r) => `${r.service} ${r.answer.verdict}`)).toEqual(['tcp/8080 ALLOW']);
  });
});

describe('a destination outside the cloud', () => {
  const ask = (s: Snapshot, src: string, port: number, extra = {}) => canReach(buildCloud(s), { src, dst: '8.8.8.8', protocol: 'tcp', port, ...extra });

  test('egress to 8.8.8.8: anti-spoofing, the egress rules, then out through the router and its external gateway', () => {
    const a = ask(cloudOf(), 'client', 53);
    expect(a.verdict).toBe('ALLOW');
    expect(stages(a)).toEqual(['entry:ok', 'spoof:ok', 'egress:ok', 'exit:ok']);
    expect(a.steps[3]).toMatchObject({ stage: 'exit', router: 'r1', external: { id: 'ext', name: 'public' }, destination: '8.8.8.8' });
    expect(ask(cloudOf(), 'locked', 443).verdict).toBe('ALLOW');
    const blocked = ask(cloudOf(), 'locked', 22);
    expect(blocked.verdict).toBe('DENY');
    expect(stages(blocked)).toEqual(['entry:ok', 'spoof:ok', 'egress:blocked', 'exit:ok']);
    // without --port: the sender's egress rules name the services
    expect(rows(cloudOf(), 'locked', '8.8.8.8', 'tcp')).toEqual(['tcp/443 ALLOW', 'tcp other ports (asked at 1024) DENY']);
    // a source address the port does not hold: anti-spoofing drops it
    expect(stages(ask(cloudOf(), 'client', 53, { sourceIp: '10.10.10.99' }))).toEqual(['entry:ok', 'spoof:blocked', 'egress:ok', 'exit:ok']);
  });

  test('a router whose gateway the snapshot lacks: allowed, the gateway stated as assumed; no router: denied', () => {
    const assumed = ask(cloudOf({ gateway: false }), 'client', 53);
    expect(assumed.verdict).toBe('ALLOW');
    expect(assumed.steps[3]).toMatchObject({ stage: 'exit', router: 'r1', assumed: expect.stringContaining('has an external gateway') });
    const none = ask(cloudOf({ router: false }), 'client', 53);
    expect(none.verdict).toBe('DENY');
    expect(stages(none)).toEqual(['entry:ok', 'spoof:ok', 'egress:ok', 'exit:blocked']);
    expect(none.changes.map((c) => c.why)).toEqual(['route network priv out of the cloud']);
  });

  test('both ends outside the cloud: refused', () => {
    expect(() => canReach(buildCloud(cloudOf()), { src: '1.1.1.1', dst: '8.8.8.8', protocol: 'tcp', port: 53 })).toThrow('source 1.1.1.1 and destination 8.8.8.8 are both outside the cloud');
  });
});

describe('instances as users name them', () => {
  const named = (): Snapshot => ({
    ...cloudOf(),
    ports: [...cloudOf().ports, { ...port('dup-1', ['10.10.10.51'], ['web']), name: 'dup', device_id: 'vm-dup' }, { ...port('dup-2', ['10.10.10.52'], ['web']), name: 'dup', device_id: 'vm-other' }],
    servers: [{ id: 'vm-web', name: 'webserver' }, { id: 'vm-client', name: 'client' }, { id: 'vm-dup', name: 'dup-vm' }],
  });
  const verdict = (src: string, dst: string) => canReach(buildCloud(named()), { src, dst, protocol: 'tcp', port: 80 }).verdict;

  test('the port\'s name, the instance\'s name, the instance\'s id', () => {
    for (const dst of ['web', 'webserver', 'vm-web']) expect(verdict('client', dst)).toBe('ALLOW');
    // a port named like its own instance is one thing
    expect(verdict('client', 'web')).toBe('ALLOW');
    expect(verdict('vm-client', 'webserver')).toBe('ALLOW');
  });

  test('a name of two things: one line listing the candidates', () => {
    expect(() => verdict('client', 'dup')).toThrow('destination dup: names 2 things: instance vm-dup (port dup-1); instance vm-other (port dup-2); give an id');
    expect(verdict('client', 'dup-2')).toBe('ALLOW');
  });

  test('CLI: a servers.json beside the dump, the rows per service, 8.8.8.8, the ambiguous name (exit 2)', async () => {
    const dump = join(tmp, 'cloud.json');
    const s = named();
    writeFileSync(dump, JSON.stringify({ networks: s.networks, subnets: s.subnets, ports: s.ports, security_groups: s.security_groups, security_group_rules: s.security_group_rules }));
    // as `openstack server list -f json` prints them
    const servers = join(tmp, 'servers.json');
    writeFileSync(servers, JSON.stringify(s.servers!.map((x) => ({ ID: x.id, Name: x.name, Status: 'ACTIVE' }))));
    const each = await portsec('can-reach', 'client', 'webserver', '--protocol', 'tcp', '--files', dump, '--files', servers, '-f', 'raw');
    expect(each.code, each.stderr).toBe(0);
    expect((JSON.parse(each.stdout) as { service: string; verdict: string }[]).map((r) => `${r.service} ${r.verdict}`))
      .toEqual(['tcp/22 ALLOW', 'tcp/80 ALLOW', 'tcp/8000-8080 ALLOW', 'tcp other ports (asked at 1024) DENY']);
    const table = await portsec('can-reach', 'client', 'webserver', '--protocol', 'tcp', '--files', dump, '--files', servers);
    expect(table.stdout).toMatch(/^client -> webserver tcp, per service the rules tell apart:\n/);
    expect(table.stdout).toMatch(/\| tcp\/22 +\| ALLOW +\|/);
    const out = await portsec('can-reach', 'client', '8.8.8.8', '--protocol', 'tcp', '--port', '443', '--files', dump, '-f', 'raw');
    expect(JSON.parse(out.stdout)).toMatchObject({ verdict: 'ALLOW' });
    const dup = await portsec('can-reach', 'client', 'dup', '--protocol', 'tcp', '--port', '80', '--files', dump);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toBe('portsec: destination dup: names 2 things: instance vm-dup (port dup-1); instance vm-other (port dup-2); give an id\n');
  });
});

test('the HTTP route answers as the CLI: services without a port, 8.8.8.8 outside the cloud', async () => {
  const server = await startServer(['--auth', 'trusted-headers']);
  try {
    const admin = as('admin', 'admin');
    const ok = async (path: string, body: unknown) => {
      const r = await api(server.url, 'POST', `/v2.0/${path}`, admin, body);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body;
    };
    const net = (await ok('networks', { network: { name: 'n' } })).network.id;
    await ok('subnets', { subnet: { network_id: net, cidr: '10.5.0.0/24', ip_version: 4 } });
    const web = (await ok('security-groups', { security_group: { name: 'web' } })).security_group.id;
    await ok('security-group-rules', { security_group_rule: { security_group_id: web, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80 } });
    await ok('ports', { port: { network_id: net, name: 'www', security_groups: [web] } });
    await ok('ports', { port: { network_id: net, name: 'cli' } });
    const each = await api(server.url, 'POST', '/analysis/v1/can-reach', admin, { src: 'cli', dst: 'www', protocol: 'tcp' });
    expect(each.status).toBe(200);
    expect((each.body.services as { service: string; verdict: string }[]).map((r) => `${r.service} ${r.verdict}`)).toEqual(['tcp/80 ALLOW', 'tcp other ports (asked at 1024) DENY']);
    const one = await api(server.url, 'POST', '/analysis/v1/can-reach', admin, { src: 'cli', dst: 'www', protocol: 'tcp', port: 80 });
    expect(one.body.verdict).toBe('ALLOW');
    // no router on the network: the Internet is out of reach, and the answer says so
    const out = await api(server.url, 'POST', '/analysis/v1/can-reach', admin, { src: 'cli', dst: '8.8.8.8', protocol: 'tcp', port: 443 });
    expect(out.body.verdict).toBe('DENY');
    expect(out.body.steps.map((x: { stage: string }) => x.stage)).toEqual(['entry', 'spoof', 'egress', 'exit']);
  } finally {
    await server.stop();
  }
});
