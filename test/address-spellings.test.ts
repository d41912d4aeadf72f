/**
 * Issue 13's bugs through the API. The same requests go to a real neutron-server and to
 * portsec: what each stores and returns must agree (a pair's MAC as written, fa16.3e00.0005
 * too; addresses as netaddr prints them; port ranges given as strings). Then the agent's
 * compile of portsec's database (`portsec compile --host`) must succeed and equal what
 * Neutron's own iptables driver writes for the same ports, with the same host (and without
 * IPv6 on the node).
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { canonicalMac, formatIp, parseIp } from '../src/model/addresses.js';
import { seededRandom } from '../src/model/random.js';
import { neutronDriver } from './support/neutron-driver.js';
import { type NeutronServer, startNeutronServer } from './support/neutron-server.js';
import { api, as, CLI, type RunningServer, startServer, SYSTEM_PYTHON } from './support/server.js';

let portsec: RunningServer;
let neutron: NeutronServer;
beforeAll(async () => {
  [portsec, neutron] = await Promise.all([startServer(['--auth', 'trusted-headers']), startNeutronServer()]);
}, 180_000);
afterAll(async () => {
  await Promise.all([portsec?.stop(), neutron?.stop()]);
});

/** netaddr's reading of each text: IPv6 as str(IPAddress) (or null), a MAC as the API's sanitised form (or null if invalid). */
const NETADDR = `
import json, sys, netaddr
from neutron_lib.api import converters, validators
def ip(t):
    try: return str(netaddr.IPAddress(t, 6, flags=netaddr.INET_PTON))
    except Exception: return None
cases = json.load(sys.stdin)
json.dump({'ips': [ip(t) for t in cases['ips']],
           'macs': [None if validators.validate_mac_address(m) else converters.convert_to_sanitized_mac_address(m) for m in cases['macs']]}, sys.stdout)
`;

test('addresses and MACs are read and printed as netaddr does (IPv4-mapped and -compatible, every EUI-48 spelling)', () => {
  const rnd = seededRandom(13);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const hex = (n: number) => Array.from({ length: n }, () => pick([...'0123456789abcdefABCDEF'])).join('');
  const ips: string[] = ['::ffff:ae9:809d', '::ffff:10.233.128.157', '::1.2.3.4', '::0.1.0.0', '::1', '::', '1::1.2.3.4', '::ffff:01.2.3.4', '::1.2.3', '1:2:3:4:5:6:7:1.2.3.4'];
  for (let i = 0; i < 3000; i++) {
    const words = Array.from({ length: 8 }, () => pick([0, 0, 0, 0xffff, 1, Math.floor(rnd() * 0x10000)]));
    if (i % 3 === 0) words.fill(0, 0, 5 + (i % 2));
    ips.push(words.map((w) => w.toString(16)).join(':'));
  }
  const macs: string[] = ['fa16.3e00.0005', 'fa163e000005', 'a163e000005', 'FA-16-3E-00-00-05', 'fa16:3e00:0005', 'fa163e-000005', 'fa-16-3e:00:00:05', '000000000000', ''];
  for (let i = 0; i < 2000; i++) {
    const count = pick([6, 3, 2, 1]);
    const widest = { 6: 3, 3: 5, 2: 7, 1: 13 }[count]!;
    macs.push(Array.from({ length: count }, () => hex(1 + Math.floor(rnd() * widest))).join(pick([':', '-', '.', ''])));
  }
  const r = spawnSync(SYSTEM_PYTHON, ['-c', NETADDR], { input: JSON.stringify({ ips, macs }), encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const netaddr = JSON.parse(r.stdout) as { ips: (string | null)[]; macs: (string | null)[] };
  const ours = {
    ips: ips.map((t) => { const p = parseIp(t); return p ? formatIp(6, p.value) : null; }),
    macs: macs.map((m) => canonicalMac(m) ?? null),
  };
  expect(ours.ips).toEqual(netaddr.ips);
  expect(ours.macs).toEqual(netaddr.macs);
  expect(netaddr.ips[0]).toBe('::ffff:10.233.128.157');
  expect(netaddr.macs.filter((m) => m !== null).length).toBeGreaterThan(100);
});

const ADMIN = as('admin', 'admin');
type Body = Record<string, any>;

/** Both servers' answers to the same requests, ids filled in per server. */
class Twin {
  readonly ids: Record<'portsec' | 'neutron', Record<string, string>> = { portsec: {}, neutron: {} };

  async post(path: string, body: (ids: Record<string, string>) => Body, save?: string): Promise<Record<'portsec' | 'neutron', { status: number; body: Body }>> {
    const ask = async (which: 'portsec' | 'neutron', url: string) => {
      const r = await api(url, 'POST', path, ADMIN, body(this.ids[which]));
      if (save && r.status === 201) this.ids[which][save] = (Object.values(r.body)[0] as Body).id;
      return r;
    };
    const [p, n] = await Promise.all([ask('portsec', portsec.url), ask('neutron', neutron.url)]);
    return { portsec: p, neutron: n };
  }
}

const twin = new Twin();
const pick = (o: Body, keys: string[]) => Object.fromEntries(keys.map((k) => [k, o[k]]));
const byIp = (pairs: Body[]) => [...pairs].sort((a, b) => (a.ip_address < b.ip_address ? -1 : 1));
const compile = (...args: string[]) => spawnSync(process.execPath, [CLI, 'compile', '--db', portsec.db, '--format', 'golden-json', ...args], { encoding: 'utf8' });

test('subnets, rules and ports with odd spellings: portsec stores and returns what Neutron does', async () => {
  await twin.post('/v2.0/networks', () => ({ network: { name: 'spellings' } }), 'net');
  const v4 = await twin.post('/v2.0/subnets', (ids) => ({ subnet: { network_id: ids.net, cidr: '10.233.0.0/16', ip_version: 4 } }), 'v4');
  expect(v4.portsec.status).toBe(201);
  // an IPv4-mapped subnet: its addresses as netaddr prints them (::ffff:0.0.0.0/96)
  const mapped = await twin.post('/v2.0/subnets', (ids) => ({ subnet: { network_id: ids.net, cidr: '::ffff:0:0/96', ip_version: 6 } }), 'mapped');
  expect(mapped.neutron.body.subnet.cidr).toBe('::ffff:0.0.0.0/96');
  const subnetKeys = ['cidr', 'gateway_ip', 'allocation_pools'];
  expect(pick(mapped.portsec.body.subnet, subnetKeys)).toEqual(pick(mapped.neutron.body.subnet, subnetKeys));

  await twin.post('/v2.0/security-groups', () => ({ security_group: { name: 'etcd' } }), 'sg');
  const rules: Body[] = [
    { protocol: 'tcp', port_range_min: '2379', port_range_max: '2380', remote_group_id: 'self' },
    { ethertype: 'IPv6', protocol: 'tcp', port_range_min: ' 22 ', port_range_max: '22', remote_group_id: 'self' },
    { protocol: 'udp', port_range_min: 53, port_range_max: '53', remote_ip_prefix: '' },
    { ethertype: 'IPv6', protocol: 'icmp', remote_ip_prefix: '::ffff:ae9:8000/120' },
    { ethertype: 'IPv6', direction: 'egress', remote_ip_prefix: '::ffff:ae9:809d' },
  ];
  for (const rule of rules) {
    const r = await twin.post('/v2.0/security-group-rules', (ids) => ({ security_group_rule: {
      security_group_id: ids.sg, direction: 'ingress', ...rule, ...(rule.remote_group_id ? { remote_group_id: ids.sg } : {}),
    } }));
    expect(r.neutron.status, JSON.stringify(rule)).toBe(201);
    expect(r.portsec.status, JSON.stringify(rule)).toBe(201);
    const keys = ['ethertype', 'protocol', 'port_range_min', 'port_range_max', 'remote_ip_prefix', 'normalized_cidr'];
    expect(pick(r.portsec.body.security_group_rule, keys), JSON.stringify(rule)).toEqual(pick(r.neutron.body.security_group_rule, keys));
  }

  const ports: [string, string, (ids: Record<string, string>) => Body][] = [
    ['cn1', 'fa:16:3e:00:00:51', (ids) => ({
      fixed_ips: [{ subnet_id: ids.v4, ip_address: '10.233.1.1' }],
      allowed_address_pairs: [{ ip_address: '10.233.1.5', mac_address: 'fa16.3e00.0005' }, { ip_address: '2001:db8::5', mac_address: 'fa163e000005' },
        { ip_address: '2001:db8::6', mac_address: 'FA-16-3E-00-00-05' }, { ip_address: '::ffff:ae9:809d' }],
    })],
    ['cn1', 'fa:16:3e:00:00:52', (ids) => ({
      fixed_ips: [{ subnet_id: ids.mapped, ip_address: '::ffff:ae9:8052' }],
      allowed_address_pairs: [{ ip_address: '::ffff:ae9:8000/120', mac_address: 'fa16:3e00:0007' }],
    })],
    ['cn2', 'fa:16:3e:00:00:53', (ids) => ({
      fixed_ips: [{ subnet_id: ids.v4, ip_address: '10.233.2.3' }], allowed_address_pairs: [{ ip_address: '::ffff:ae9:809e', mac_address: 'fa163e000053' }],
    })],
  ];
  for (const [host, mac, body] of ports) {
    const r = await twin.post('/v2.0/ports', (ids) => ({ port: { network_id: ids.net, mac_address: mac, security_groups: [ids.sg], 'binding:host_id': host, ...body(ids) } }));
    expect(r.neutron.status).toBe(201);
    expect(r.portsec.status).toBe(201);
    const view = (p: Body) => ({ fixed: p.fixed_ips.map((f: Body) => f.ip_address), pairs: byIp(p.allowed_address_pairs) });
    expect(view(r.portsec.body.port)).toEqual(view(r.neutron.body.port));
  }
  // as Neutron's API: pair MACs as written, the mapped fixed IP as netaddr prints it
  const listed = (await api(portsec.url, 'GET', '/v2.0/ports', ADMIN)).body.ports as Body[];
  expect(listed.flatMap((p) => p.allowed_address_pairs.map((a: Body) => a.mac_address))).toContain('fa16.3e00.0005');
  expect(listed.flatMap((p) => p.fixed_ips.map((f: Body) => f.ip_address))).toContain('::ffff:10.233.128.82');
});

/** portsec's stored ports and groups, in the driver's input shape. */
async function driverInput(options: Body): Promise<Body> {
  const ports = (await api(portsec.url, 'GET', '/v2.0/ports', ADMIN)).body.ports;
  const groups = (await api(portsec.url, 'GET', '/v2.0/security-groups', ADMIN)).body.security_groups;
  return { options, security_groups: groups, ports };
}

test('compile --host of that database equals Neutron\'s driver with the same host: every pair MAC written FA:16:3E:00:00:05', async () => {
  const expected = neutronDriver(await driverInput({ host: 'cn1' }));
  expect(expected.status, expected.stderr).toBe(0);
  const r = compile('--host', 'cn1');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const state = JSON.parse(r.stdout);
  expect(state).toEqual(expected.state);
  expect(state.iptables_save.IPv6).toContain('-s 2001:db8::5/128 -m mac --mac-source FA:16:3E:00:00:05');
  expect(state.iptables_save.IPv4).toContain('-s 10.233.1.5/32 -m mac --mac-source FA:16:3E:00:00:05');
  expect(state.iptables_save.IPv6).toContain('-s ::ffff:10.233.128.157/128 -m mac --mac-source FA:16:3E:00:00:51');
  expect(state.ipset_restore).toContain(' ::ffff:10.233.128.158/128\n');
  // the cn2 port is a member, not a local port
  expect(state.iptables_save.IPv4).not.toContain('mac-source FA:16:3E:00:00:53');
});

test('compile --host --ipv6 off equals Neutron\'s driver on a host without IPv6: no ip6tables, the IPv6 sets kept', async () => {
  const expected = neutronDriver(await driverInput({ host: 'cn1', use_ipv6: false }));
  expect(expected.status, expected.stderr).toBe(0);
  const r = compile('--host', 'cn1', '--ipv6', 'off');
  expect(r.status).toBe(0);
  const state = JSON.parse(r.stdout);
  expect(state).toEqual(expected.state);
  expect(state.iptables_save.IPv6).toBe('');
  expect(state.ipset_restore).toContain('create NIPv6');
});
