/**
 * The analyzer answers for the firewall the cloud runs (--backend, `backend`):
 * the seed's topology (the NAT server in ssh with pair 0.0.0.0/0, proxy open on
 * tcp/80 to remote group ssh) under each of Neutron's backends. A port without
 * port security sends 200.200.200.200 with its own MAC (the openvswitch firewall
 * pins a /0 member to the pair's MAC), and a VIP held as a pair by a member of ssh
 * shows OVN's opposite trap.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Finding } from '../src/analysis/answers.js';
import { type explained, type explainedExposure } from '../src/analysis/report/explain.js';
import { portMembers } from '../src/policy/membership.js';
import { NEUTRON_BACKENDS } from '../src/policy/neutron-backends.js';
import { parseOptions, parsePort, parseTopology, TopologyError } from '../src/policy/topology.js';
import { createIptablesNode } from '../src/backends/iptables/backend.js';
import { fromCloud } from '../src/analysis/sources/openstack.js';
import { readExposureLines } from './support/exposure-lines.js';
import { api, as, portsec, type RunningServer, startServer } from './support/server.js';

type Explained = ReturnType<typeof explained>;
type ExplainedExposure = ReturnType<typeof explainedExposure>;


describe('a backend in the compiler\'s options', () => {
  test('follows the iptables driver by default; a backend that is an iptables driver brings it; a mismatch or an unknown one is refused', () => {
    expect([parseOptions({}).backend, parseOptions({ driver: 'ovs_hybrid' }).backend]).toEqual(['iptables', 'iptables_hybrid']);
    const hybrid = parseOptions({}, { backend: 'iptables_hybrid' });
    expect([hybrid.driver, hybrid.sgInfoSource]).toEqual(['ovs_hybrid', 'agent_shim']);
    expect(parseOptions({ backend: 'ovn' }).sgInfoSource).toBe('server_rpc');
    expect(() => parseOptions({ driver: 'linuxbridge', backend: 'iptables_hybrid' })).toThrow(new TopologyError('options: backend iptables_hybrid is the ovs_hybrid driver, not linuxbridge'));
    expect(() => parseOptions({ backend: 'nftables' })).toThrow(/unknown backend "nftables"/);
    // iptables renders only its own drivers' members
    expect(() => createIptablesNode(parseTopology({ options: { backend: 'ovn' } }))).toThrow(new TopologyError('options: backend ovn is not rendered by iptables (its members differ)'));
    expect(() => createIptablesNode(parseTopology({ options: { backend: 'iptables_hybrid' } }))).not.toThrow();
  });

  test('what the NAT server stands for in its groups, per backend', () => {
    const nat = parsePort({
      id: 'nat', mac_address: 'fa:16:3e:00:00:0a', fixed_ips: ['10.0.0.5'], security_groups: ['ssh'],
      allowed_address_pairs: [{ ip_address: '0.0.0.0/0' }, { ip_address: '10.0.0.0/8', mac_address: 'fa:16:3e:00:00:99' }],
    });
    const members = Object.fromEntries(NEUTRON_BACKENDS.map((b) => [b, portMembers(nat, parseOptions({}, { backend: b }).sgInfoSource, null, b).map((m) => [m.ip, m.srcMac ?? null])]));
    expect(members).toEqual({
      iptables: [['10.0.0.5', null], ['0.0.0.0/0', null], ['10.0.0.0/8', null]],
      iptables_hybrid: [['10.0.0.5', null], ['0.0.0.0/0', null], ['10.0.0.0/8', null]],
      openvswitch: [['10.0.0.5', null], ['0.0.0.0/0', 'fa:16:3e:00:00:0a'], ['10.0.0.0/8', null]],
      ovn: [['10.0.0.5', null]],
    });
  });
});

describe.sequential('the seed under each backend', () => {
  let server: RunningServer;
  const admin = as('admin', 'admin');
  const post = async (path: string, body: unknown) => {
    const r = await api(server.url, 'POST', `/v2.0/${path}`, admin, body);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return Object.values(r.body as Record<string, { id: string; mac_address: string }>)[0];
  };
  let nat: { id: string; mac_address: string };
  let ssh: string;
  let proxyGroup: string;

  beforeAll(async () => {
    server = await startServer(['--auth', 'trusted-headers']);
    const net = (await post('networks', { network: { name: 'priv' } })).id;
    await post('subnets', { subnet: { network_id: net, cidr: '10.10.10.0/24', ip_version: 4 } });
    ssh = (await post('security-groups', { security_group: { name: 'ssh' } })).id;
    proxyGroup = (await post('security-groups', { security_group: { name: 'proxy' } })).id;
    await post('security-group-rules', { security_group_rule: { security_group_id: ssh, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.10.10.0/24' } });
    await post('security-group-rules', { security_group_rule: { security_group_id: proxyGroup, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_group_id: ssh } });
    const port = (name: string, ip: string, extra: Record<string, unknown>) => post('ports', { port: { name, network_id: net, fixed_ips: [{ ip_address: ip }], ...extra } });
    nat = await port('nat', '10.10.10.10', { security_groups: [ssh], allowed_address_pairs: [{ ip_address: '0.0.0.0/0' }] });
    await port('int', '10.10.10.20', { security_groups: [ssh] });
    await port('proxy', '10.10.10.30', { security_groups: [proxyGroup] });
    await port('open', '10.10.10.40', { port_security_enabled: false });
    await port('lb', '10.10.10.50', { security_groups: [ssh], allowed_address_pairs: [{ ip_address: '10.10.10.100' }] });
  }, 120_000);
  afterAll(async () => { await server?.stop(); });

  const audit = async (backend: string) => JSON.parse((await portsec('audit', '--db', server.db, '-f', 'raw', '--backend', backend)).stdout) as Finding[];
  const reach = async (backend: string, src: string, ...more: string[]) =>
    JSON.parse((await portsec('can-reach', src, 'proxy', '--protocol', 'tcp', '--port', '80', '--db', server.db, '-f', 'raw', '--backend', backend, ...more)).stdout) as Explained;
  // each check once (a wide block names every pair inside it: lb's VIP too), port security aside
  const checks = (findings: Finding[]) => [...new Set(findings.map((f) => f.check))].filter((c) => c !== 'port-security-disabled');
  const widened = (findings: Finding[]) => findings.filter((f) => f.check === 'wide-pair-in-remote-group' && f.title.startsWith('nat\'s')).map((f) => f.title);

  test('iptables and iptables_hybrid: the pitfall, and proxy tcp/80 open to 200.200.200.200 from any MAC', async () => {
    for (const backend of ['iptables', 'iptables_hybrid']) {
      const findings = await audit(backend);
      expect(checks(findings), backend).toEqual(['wide-pair-in-remote-group']);
      expect(widened(findings)).toEqual(['nat\'s allowed-address pair 0.0.0.0/0 widens every rule naming group ssh to 0.0.0.0/0']);
      expect(findings.every((f) => f.backend === backend)).toBe(true);
      const viaNat = await reach(backend, '200.200.200.200');
      expect([viaNat.verdict, viaNat.backend]).toEqual(['ALLOW', backend]);
      expect(viaNat.steps.at(-1)).toMatchObject({ stage: 'ingress', member: { address: '0.0.0.0/0', via: 'allowed-address-pair' } });
      expect(viaNat.steps.at(-1)).not.toHaveProperty('member.onlyFromMac');
      expect((await reach(backend, 'open', '--source-ip', '200.200.200.200')).verdict).toBe('ALLOW');
      // the VIP is a member: traffic from it reaches proxy
      expect((await reach(backend, 'lb', '--source-ip', '10.10.10.100')).verdict).toBe('ALLOW');
    }
    // the default is iptables, and the table says so
    expect((await reach('iptables', '200.200.200.200')).steps).toEqual((JSON.parse((await portsec('can-reach', '200.200.200.200', 'proxy', '--protocol', 'tcp', '--port', '80', '--db', server.db, '-f', 'raw')).stdout) as Explained).steps);
    const table = (await portsec('can-reach', '200.200.200.200', 'proxy', '--protocol', 'tcp', '--port', '80', '--db', server.db)).stdout.split('\n');
    // no port is bound: nothing shows their firewall, the default is assumed, and the table says so
    expect(table.slice(0, 2)).toEqual(['ALLOW: 200.200.200.200 -> proxy tcp/80',
      'backend: iptables (iptables/ipset (linuxbridge)) for nat (egress), proxy (ingress), the default: nothing showed their firewall (not bound to a host); this server has no agents API (its bound ports say linuxbridge)']);
    expect((await portsec('can-reach', '200.200.200.200', 'proxy', '--protocol', 'tcp', '--port', '80', '--db', server.db, '--backend', 'iptables')).stdout.split('\n')[1]).toBe('backend: iptables (iptables/ipset (linuxbridge))');
    expect((await portsec('audit', '--db', server.db, '--backend', 'iptables_hybrid')).stdout).toMatch(/\nbackend: iptables_hybrid \(iptables\/ipset \(openvswitch hybrid\)\)\n$/);
  });

  test('ovn: no pitfall, 200.200.200.200 denied; the VIP held as a pair is not a member, which the audit reports', async () => {
    const findings = await audit('ovn');
    expect(checks(findings)).toEqual(['ovn-pair-not-member']);
    const [vip] = findings.filter((f) => f.check === 'ovn-pair-not-member');
    expect(vip.title).toBe('lb\'s allowed-address pair 10.10.10.100 is not a member of group ssh on ovn: rules naming ssh drop its traffic');
    // without --fixes the audit proves nothing and names the command that does; with it, the pair's prefix beside proxy's rule, proven
    expect(vip.fixes).toBeUndefined();
    const proven = (JSON.parse((await portsec('audit', '--db', server.db, '-f', 'raw', '--backend', 'ovn', '--fixes')).stdout) as Finding[]).find((f) => f.id === vip.id)!;
    // the rule is made in the project that owns proxy (the caller's, here)
    expect(proven.fixes!.map((x) => x.actions)).toEqual([[{ op: 'create-rule', group: { id: proxyGroup }, project: 'admin', rule: expect.objectContaining({ direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_ip_prefix: '10.10.10.100', remote_group: null }) }]]);
    expect(proven.fixes![0].proof).toMatchObject({ findingGone: true, newFindings: [] });
    const a = await reach('ovn', '200.200.200.200');
    expect([a.verdict, a.backend]).toEqual(['DENY', 'ovn']);
    expect(a.steps.find((s) => !s.ok)).toMatchObject({ stage: 'ingress', by: 'no-rule', port: { name: 'proxy' } });
    expect((await reach('ovn', 'lb', '--source-ip', '10.10.10.100')).verdict).toBe('DENY');
    expect((await reach('ovn', 'lb')).verdict).toBe('ALLOW');
    const { rows: exposure } = readExposureLines((await portsec('exposure', 'proxy', '--db', server.db, '-f', 'raw', '--backend', 'ovn')).stdout);
    expect(exposure.map((r) => [r.sources, r.backend])).toEqual([[['10.10.10.10/32', '10.10.10.20/32', '10.10.10.50/32'], 'ovn']]);
  });

  test('openvswitch, exact /0: the member admits only the NAT server\'s MAC; no pitfall, a note that the pair is pinned', async () => {
    const findings = await audit('openvswitch');
    expect(checks(findings)).toEqual(['wide-pair-pinned-to-mac', 'non-ip-dropped']);
    const [pinned] = findings.filter((f) => f.check === 'wide-pair-pinned-to-mac');
    expect([pinned.severity, pinned.backend, pinned.title]).toEqual(['low', 'openvswitch', `nat's allowed-address pair 0.0.0.0/0 in group ssh is pinned to MAC ${nat.mac_address} on openvswitch: rules naming ssh admit any source only from that port`]);
    expect(findings.find((f) => f.check === 'non-ip-dropped')).toMatchObject({ severity: 'info', backend: 'openvswitch' });
    const viaNat = await reach('openvswitch', '200.200.200.200');
    expect(viaNat.verdict).toBe('ALLOW');
    expect(viaNat.steps.at(-1)).toMatchObject({ stage: 'ingress', member: { address: '0.0.0.0/0', onlyFromMac: nat.mac_address } });
    expect(viaNat.steps.at(-1)!.text).toMatch(/matches group ssh's member nat via allowed-address-pair 0\.0\.0\.0\/0 \(only from MAC [0-9a-f:]{17}\)$/);
    const other = await reach('openvswitch', 'open', '--source-ip', '200.200.200.200');
    expect([other.verdict, other.backend]).toEqual(['DENY', 'openvswitch']);
    expect(other.steps.find((s) => !s.ok)).toMatchObject({ stage: 'ingress', by: 'no-rule', port: { name: 'proxy' } });
  });

  test('openvswitch, the /0 split in /1 halves: open to any source from any MAC, and the pitfall', async () => {
    const put = await api(server.url, 'PUT', `/v2.0/ports/${nat.id}`, admin, { port: { allowed_address_pairs: [{ ip_address: '0.0.0.0/1' }, { ip_address: '128.0.0.0/1' }] } });
    expect(put.status).toBe(200);
    for (const backend of ['openvswitch', 'iptables']) {
      expect((await reach(backend, 'open', '--source-ip', '200.200.200.200')).verdict, backend).toBe('ALLOW');
      expect(widened(await audit(backend)), backend).toEqual([
        'nat\'s allowed-address pair 0.0.0.0/1 widens every rule naming group ssh to 0.0.0.0/0',
        'nat\'s allowed-address pair 128.0.0.0/1 widens every rule naming group ssh to 0.0.0.0/0',
      ]);
    }
    expect(checks(await audit('ovn'))).toEqual(['ovn-pair-not-member']);
    expect((await reach('ovn', 'open', '--source-ip', '200.200.200.200')).verdict).toBe('DENY');
  });

  test('the HTTP routes take `backend` and say which one they assumed; an unknown one is a 400', async () => {
    const findings = await api(server.url, 'GET', '/analysis/v1/findings?backend=ovn', admin);
    expect(findings.body.backend).toBe('ovn');
    expect((findings.body.findings as Finding[]).map((f) => f.check)).toContain('ovn-pair-not-member');
    expect((await api(server.url, 'GET', '/analysis/v1/findings', admin)).body.backend).toBe('iptables');
    const body = { src: 'open', dst: 'proxy', protocol: 'tcp', port: 80, sourceIp: '200.200.200.200' };
    const ovn = await api(server.url, 'POST', '/analysis/v1/can-reach', admin, { ...body, backend: 'ovn' });
    expect([ovn.status, ovn.body.verdict, ovn.body.backend]).toEqual([200, 'DENY', 'ovn']);
    const iptables = await api(server.url, 'POST', '/analysis/v1/can-reach', admin, body);
    expect([iptables.body.verdict, iptables.body.backend]).toEqual(['ALLOW', 'iptables']);
    const exposure = await api(server.url, 'GET', '/analysis/v1/exposure?backend=openvswitch', admin);
    expect(exposure.body.backend).toBe('openvswitch');
    expect((exposure.body.exposure as ExplainedExposure).every((r) => r.backend === 'openvswitch')).toBe(true);
    for (const bad of [api(server.url, 'GET', '/analysis/v1/findings?backend=nftables', admin), api(server.url, 'POST', '/analysis/v1/can-reach', admin, { ...body, backend: 'nftables' })]) {
      const r = await bad;
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.body)).toContain('backend must be one of iptables, iptables_hybrid, openvswitch, ovn');
    }
    expect((await portsec('audit', '--db', server.db, '--backend', 'nftables')).code).not.toBe(0);
  });
});

describe('beside agents (they run iptables)', () => {
  test('stale-members compares the agents with the API under their own backend only; view=agents takes no other backend', async () => {
    const server = await startServer(['--auth', 'trusted-headers', '--agents', 'model', '--agent-state', 'neutron-21']);
    const admin = as('ops', 'admin');
    try {
      const post = async (path: string, body: unknown) => {
        const r = await api(server.url, 'POST', `/v2.0/${path}`, admin, body);
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        return Object.values(r.body as Record<string, { id: string }>)[0].id;
      };
      const synced = async () => {
        for (const end = Date.now() + 10_000; ;) {
          const { body } = await api(server.url, 'GET', '/analysis/v1/agents', admin);
          if (body.agents.length === 2 && body.agents.every((a: { change: number }) => a.change === body.change)) return;
          if (Date.now() > end) throw new Error(`agents not synced: ${JSON.stringify(body)}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      const net = await post('networks', { network: { name: 'n' } });
      await post('subnets', { subnet: { network_id: net, cidr: '10.1.1.0/24', ip_version: 4 } });
      const ssh = await post('security-groups', { security_group: { name: 'ssh' } });
      const proxy = await post('security-groups', { security_group: { name: 'proxy' } });
      await post('security-group-rules', { security_group_rule: { security_group_id: proxy, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_group_id: ssh } });
      const nat = await post('ports', { port: { name: 'nat', network_id: net, security_groups: [ssh], allowed_address_pairs: [{ ip_address: '0.0.0.0/0' }], 'binding:host_id': 'cn2' } });
      await post('ports', { port: { name: 'proxy', network_id: net, security_groups: [proxy], 'binding:host_id': 'cn1' } });
      await synced();
      // the server lists its agents as Neutron lists linuxbridge agents (admins only): an import reads them beside the bindings
      const imported = await fromCloud({ endpoint: server.url, authType: 'none' });
      expect(imported.agents!.map((a) => [a.agent_type, a.host]).sort()).toEqual([['Linux bridge agent', 'cn1'], ['Linux bridge agent', 'cn2']]);
      expect(imported.backends!.ports[nat]).toEqual({ backend: 'iptables', evidence: 'bound by linuxbridge (binding:vif_details.bound_drivers): ML2/linuxbridge; Linux bridge agent on host cn2' });
      expect(await api(server.url, 'GET', '/v2.0/agents', as('ops'))).toEqual({ status: 200, body: { agents: [] } });
      // linuxbridge's agent is not told: cn1 keeps the pair's halves in ssh's set
      expect((await api(server.url, 'PUT', `/v2.0/ports/${nat}`, admin, { port: { allowed_address_pairs: [] } })).status).toBe(200);
      await synced();
      const stale = async (query: string) => ((await api(server.url, 'GET', `/analysis/v1/findings${query}`, admin)).body.findings as Finding[]).filter((f) => f.check === 'stale-members');
      expect(await stale('')).toHaveLength(1);
      expect(await stale('?backend=ovn')).toEqual([]);
      const agents = await api(server.url, 'POST', '/analysis/v1/can-reach', admin, { src: '203.0.113.9', dst: 'proxy', protocol: 'tcp', port: 80, view: 'agents', backend: 'ovn' });
      expect(agents.status).toBe(400);
      expect(JSON.stringify(agents.body)).toContain('view=agents answers for the agents\' own firewall (iptables), not ovn');
    } finally {
      await server.stop();
    }
  });
});
