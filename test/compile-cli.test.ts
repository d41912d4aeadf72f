/** `portsec compile`: from a topology file, and from the server's database for one host. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { neutronDriver } from './support/neutron-driver.js';
import { loadSteps } from './backend-suite/agent-steps.js';
import { api, as, CLI, type RunningServer, startServer } from './support/server.js';

const compile = (...args: string[]) => spawnSync(process.execPath, [CLI, 'compile', ...args], { encoding: 'utf8' });

/** The blog sample: a NAT server with the pair 0.0.0.0/0 in group ssh; tcp/80 on the proxy from remote group ssh. */
const blog = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/golden/sample-b_blog_nat_ipset.json'), 'utf8'));
const tmp = mkdtempSync(join(tmpdir(), 'portsec-compile-cli-'));
const sample = join(tmp, 'b_blog_nat_ipset.json');
writeFileSync(sample, JSON.stringify(blog.input));

test('--topology with --format golden-json prints the fixtures\' fields, equal to Neutron\'s', () => {
  const r = compile('--topology', sample, '--format', 'golden-json');
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual(blog.initial);
});

test('--driver and --ipset override the file\'s options', () => {
  const r = compile('--topology', sample, '--driver', 'ovs_hybrid', '--ipset', 'off');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain(':neutron-openvswi-sg-chain - [0:0]');
  expect(r.stdout).not.toContain('--match-set');
  // the NAT server's 0.0.0.0/0 pair makes the proxy's remote-group rule match every source
  expect(r.stdout).toContain('-A neutron-openvswi-ic0ffee30-a -p tcp -m tcp --dport 80 -j RETURN');
});

test('--format ir shows where a remote group\'s members come from', () => {
  const r = compile('--topology', sample, '--format', 'ir');
  expect(r.status).toBe(0);
  const ir = JSON.parse(r.stdout);
  expect(ir.remote_groups['a1b2c3d4-0001-4000-8000-000000000022'].IPv4).toContainEqual(
    { ip: '0.0.0.0/0', mac: 'fa:16:3e:00:00:10', portId: 'c0ffee10-aaaa-4a00-8000-00000000000a', via: 'address_pair' });
  const proxy = ir.ports.find((p: { id: string }) => p.id.startsWith('c0ffee30'));
  expect(proxy.rules).toContainEqual(expect.objectContaining({ protocol: 'tcp', portMin: 80, remote: { kind: 'group', groupId: 'a1b2c3d4-0001-4000-8000-000000000022' } }));
});

test('--omit-wide-pairs leaves wide pairs out of remote groups, never out of anti-spoofing', () => {
  const ssh = 'NIPv4a1b2c3d4-0001-4000-8000-';
  const neutron = compile('--topology', sample).stdout;
  expect(neutron).toContain(`add ${ssh} 0.0.0.0/1`);
  const safe = compile('--topology', sample, '--omit-wide-pairs', '0');
  expect(safe.status).toBe(0);
  expect(safe.stdout).not.toContain(`add ${ssh} 0.0.0.0/1`);
  expect(safe.stdout).not.toContain(`add ${ssh} 128.0.0.0/1`);
  // the NAT server still forwards with foreign sources: its spoof chain keeps the pair
  expect(safe.stdout).toContain('-A neutron-linuxbri-sc0ffee10-a -s 0.0.0.0/0 -m mac --mac-source FA:16:3E:00:00:10');
  // without ipsets the proxy's rule is no longer one without a source
  const expanded = compile('--topology', sample, '--ipset', 'off', '--omit-wide-pairs', '0').stdout;
  expect(expanded).not.toContain('-A neutron-linuxbri-ic0ffee30-a -p tcp -m tcp --dport 80 -j RETURN');
  expect(compile('--topology', sample, '--ipset', 'off').stdout).toContain('-A neutron-linuxbri-ic0ffee30-a -p tcp -m tcp --dport 80 -j RETURN');
  const bad = compile('--topology', sample, '--omit-wide-pairs', '33');
  expect(bad.status).not.toBe(0);
  expect(bad.stderr).toContain('expected LEN[,LEN6]');
});

test('--agent-state: the file\'s events as Neutron 21\'s agent follows them (the default), or a fresh sync after them', () => {
  // the NAT server loses its 0.0.0.0/0 pair: Neutron's agent is not told, the ssh ipset keeps both halves
  const nat = loadSteps('sample-pair-removed-ipset-on.json');
  const neutron = nat.steps.at(-1)!;
  const file = join(tmp, 'pair-removed.json');
  writeFileSync(file, JSON.stringify(nat.input));
  const agent = compile('--topology', file, '--format', 'golden-json');
  expect(agent.status).toBe(0);
  expect(JSON.parse(agent.stdout)).toEqual(neutron);
  expect(JSON.parse(compile('--topology', file, '--format', 'golden-json', '--agent-state', 'neutron-21').stdout)).toEqual(neutron);
  const ideal = JSON.parse(compile('--topology', file, '--format', 'golden-json', '--agent-state', 'ideal').stdout);
  expect(neutron.ipset_restore).toContain(' 0.0.0.0/1\n');
  expect(ideal.ipset_restore).not.toContain(' 0.0.0.0/1\n');
});

test('bad input ends with a message naming the object and exit status 2', () => {
  const dir = join(import.meta.dirname, '..', 'dist');
  const bad = join(dir, 'bad-topology.json');
  writeFileSync(bad, JSON.stringify({ security_groups: [{ id: 'g1', security_group_rules: [{ direction: 'ingress', remote_group_id: 'nope' }] }], ports: [] }));
  const r = compile('--topology', bad);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('security group g1 rule g1-rule-0: unknown remote group nope');
});

/** compile --topology on `input` exits 0 and prints what Neutron's own driver leaves for the same input. */
function sameAsNeutron(input: Record<string, unknown>): { ipset_restore: string; iptables_save: { IPv4: string; IPv6: string } } {
  const file = join(tmp, `node-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(input));
  const expected = neutronDriver(input);
  expect(expected.status, expected.stderr).toBe(0);
  const r = compile('--topology', file, '--format', 'golden-json');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const state = JSON.parse(r.stdout);
  expect(state).toEqual(expected.state);
  return state;
}

const G = 'b13b13b1-0001-4000-8000-000000000e7c';
const node = (ports: Record<string, unknown>[], rules: Record<string, unknown>[] = [], options: Record<string, unknown> = {}) => ({
  options, security_groups: [{ id: G, security_group_rules: rules }], ports: ports.map((p) => ({ security_groups: [G], ...p })),
});
const peers6 = { direction: 'ingress', ethertype: 'IPv6', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_group_id: G };

test('pair MACs spelt Cisco-style or bare are one MAC, FA:16:3E:00:00:05, in both families (no crash on IPv6)', () => {
  const { iptables_save: save } = sameAsNeutron(node([{
    id: 'c0ffee51-aaaa-4a00-8000-000000000051', mac_address: 'fa:16:3e:00:00:51', fixed_ips: ['10.0.0.51', '2001:db8::51'],
    allowed_address_pairs: [{ ip_address: '10.0.0.5', mac_address: 'fa16.3e00.0005' }, { ip_address: '2001:db8::5', mac_address: 'fa163e000005' },
      { ip_address: '2001:db8::6', mac_address: 'FA-16-3E-00-00-05' }],
  }]));
  expect(save.IPv4).toContain('-s 10.0.0.5/32 -m mac --mac-source FA:16:3E:00:00:05 ');
  expect(save.IPv6).toContain('-s 2001:db8::5/128 -m mac --mac-source FA:16:3E:00:00:05 ');
  // one link-local address for the three spellings
  expect(save.IPv6.match(/-s fe80::f816:3eff:fe00:5\/128/g)).toHaveLength(1);
  expect(save.IPv4 + save.IPv6).not.toContain('FA16.3E00.0005');
});

test('IPv4-mapped addresses are printed as netaddr prints them, in the spoof chain, the rules and the ipset', () => {
  const { iptables_save: save, ipset_restore: ipsets } = sameAsNeutron(node([
    { id: 'c0ffee52-aaaa-4a00-8000-000000000052', mac_address: 'fa:16:3e:00:00:52', fixed_ips: ['::ffff:ae9:8052'], allowed_address_pairs: [{ ip_address: '::ffff:ae9:809d' }] },
    { id: 'c0ffee53-bbbb-4a00-8000-000000000053', mac_address: 'fa:16:3e:00:00:53', fixed_ips: ['::ffff:ae9:8053'], allowed_address_pairs: [{ ip_address: '::a0a:a00/120' }], local: false },
  ], [peers6, { direction: 'egress', ethertype: 'IPv6', remote_ip_prefix: '::ffff:ae9:8000/120' }]));
  expect(save.IPv6).toContain('-s ::ffff:10.233.128.157/128 -m mac --mac-source FA:16:3E:00:00:52 ');
  expect(save.IPv6).toContain('-d ::ffff:10.233.128.0/120 -j RETURN');
  expect(ipsets).toContain(' ::ffff:10.233.128.83/128\n');
  expect(ipsets).toContain(' ::10.10.10.0/120\n');
  expect(save.IPv6 + ipsets).not.toContain('ae9');
});

test('port ranges given as strings and remote_ip_prefix "" are taken as Neutron\'s API converts them', () => {
  const { iptables_save: save } = sameAsNeutron(node([{ id: 'c0ffee54-aaaa-4a00-8000-000000000054', mac_address: 'fa:16:3e:00:00:54', fixed_ips: ['10.0.0.54'] }], [
    { direction: 'ingress', protocol: 'tcp', port_range_min: '2379', port_range_max: '2380', remote_group_id: G },
    { direction: 'ingress', protocol: 'udp', port_range_min: ' 53 ', port_range_max: '53', remote_ip_prefix: '' },
  ]));
  expect(save.IPv4).toContain('-p tcp -m tcp -m multiport --dports 2379:2380 -m set --match-set');
  expect(save.IPv4).toContain('-A neutron-linuxbri-ic0ffee54-a -p udp -m udp --dport 53 -j RETURN');
});

test('options.host: the ports bound to it are local, the others (whatever their `local`) only group members', () => {
  const port = (n: number, host: string, extra: Record<string, unknown> = {}) => ({
    id: `c0ffee6${n}-cccc-4a00-8000-00000000006${n}`, mac_address: `fa:16:3e:00:00:6${n}`, fixed_ips: [`10.20.0.6${n}`], 'binding:host_id': host, ...extra,
  });
  const ports = [port(1, 'cn1'), port(2, 'cn2', { local: true }), port(3, 'cn1', { local: false })];
  for (const driver of ['linuxbridge', 'ovs_hybrid']) {
    const { iptables_save: save, ipset_restore: ipsets } = sameAsNeutron(node(ports, [{ ...peers6, ethertype: 'IPv4' }], { host: 'cn1', driver }));
    expect(save.IPv4).toContain('--mac-source FA:16:3E:00:00:61');
    expect(save.IPv4).toContain('--mac-source FA:16:3E:00:00:63');
    expect(save.IPv4).not.toContain('--mac-source FA:16:3E:00:00:62');
    expect(ipsets).toContain(' 10.20.0.62/32\n');
  }
});

test('options.use_ipv6 false: no ip6tables at all, the IPv4 tables and both families\' ipsets as with IPv6', () => {
  const input = node([{ id: 'c0ffee71-dddd-4a00-8000-000000000071', mac_address: 'fa:16:3e:00:00:71', fixed_ips: ['10.30.0.71', '2001:db8:30::71'] }],
    [peers6, { ...peers6, ethertype: 'IPv4' }], { use_ipv6: false });
  const state = sameAsNeutron(input);
  expect(state.iptables_save.IPv6).toBe('');
  expect(state.ipset_restore).toContain('create NIPv6');
  const withIpv6 = sameAsNeutron({ ...input, options: {} });
  expect(state.iptables_save.IPv4).toBe(withIpv6.iptables_save.IPv4);
  expect(state.ipset_restore).toBe(withIpv6.ipset_restore);
  expect(withIpv6.iptables_save.IPv6).not.toBe('');
});

let server: RunningServer;
beforeAll(async () => { server = await startServer(['--auth', 'trusted-headers']); });
afterAll(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

test('--host compiles the ports bound to that host from the database', async () => {
  const admin = as('admin', 'admin');
  const net = (await api(server.url, 'POST', '/v2.0/networks', admin, { network: { name: 'n' } })).body.network.id;
  await api(server.url, 'POST', '/v2.0/subnets', admin, { subnet: { network_id: net, cidr: '10.10.10.0/24', ip_version: 4 } });
  const ssh = (await api(server.url, 'POST', '/v2.0/security-groups', admin, { security_group: { name: 'ssh' } })).body.security_group.id;
  const proxy = (await api(server.url, 'POST', '/v2.0/security-groups', admin, { security_group: { name: 'proxy' } })).body.security_group.id;
  await api(server.url, 'POST', '/v2.0/security-group-rules', admin, { security_group_rule: { security_group_id: proxy, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_group_id: ssh } });
  const nat = (await api(server.url, 'POST', '/v2.0/ports', admin, { port: { network_id: net, security_groups: [ssh], allowed_address_pairs: [{ ip_address: '0.0.0.0/0' }], 'binding:host_id': 'cn2' } })).body.port;
  const px = (await api(server.url, 'POST', '/v2.0/ports', admin, { port: { network_id: net, security_groups: [proxy], 'binding:host_id': 'cn1' } })).body.port;
  const out = execFileSync(process.execPath, [CLI, 'compile', '--host', 'cn1', '--db', server.db, '--format', 'golden-json'], { encoding: 'utf8' });
  const { ipset_restore: ipsets, iptables_save: save } = JSON.parse(out);
  expect(save.IPv4).toContain(`:neutron-linuxbri-i${px.id.slice(0, 10)} - [0:0]`);
  expect(save.IPv4).not.toContain(`neutron-linuxbri-i${nat.id.slice(0, 10)}`);
  expect(ipsets).toContain(`create NIPv4${ssh.slice(0, 24)} hash:net family inet`);
  expect(ipsets).toContain(`add NIPv4${ssh.slice(0, 24)} 0.0.0.0/1`);
  expect(ipsets).toContain(`add NIPv4${ssh.slice(0, 24)} ${nat.fixed_ips[0].ip_address}/32`);
});
